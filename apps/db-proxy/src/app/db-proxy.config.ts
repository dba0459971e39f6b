import { baseEnv, httpPort, natsEnv, postgresEnv } from '@cryptoscalp/config';

import { z } from 'zod';

/** Every variable db-proxy reads, validated once at startup (see README: Configuration). */
export const DbProxyConfigSchema = z.object({
  ...baseEnv,
  ...natsEnv,
  ...postgresEnv,
  HTTP_PORT: httpPort(3003),
});
export type DbProxyConfig = z.infer<typeof DbProxyConfigSchema>;
