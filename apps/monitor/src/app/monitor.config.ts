import { baseEnv, httpPort, natsEnv } from '@cryptoscalp/config';

import { z } from 'zod';

/** Every variable monitor reads, validated once at startup (see README: Configuration). */
export const MonitorConfigSchema = z.object({
  ...baseEnv,
  ...natsEnv,
  HTTP_PORT: httpPort(3000),
  /** An instance whose heartbeat is older than this is shown as stale (fail). */
  MONITOR_STALE_AFTER_MS: z.coerce.number().int().positive('expected a positive number of milliseconds').default(15_000),
  /** A stale instance is forgotten after this long (scaled-down replicas disappear). */
  MONITOR_FORGET_AFTER_MS: z.coerce.number().int().positive('expected a positive number of milliseconds').default(600_000),
});
export type MonitorConfig = z.infer<typeof MonitorConfigSchema>;
