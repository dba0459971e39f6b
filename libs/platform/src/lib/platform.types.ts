import { baseEnv, httpPort, natsEnv } from '@cryptoscalp/config';

import { z } from 'zod';

/** The shared pieces every service's config schema is built from. */
export const platformConfigSchema = z.object({ ...baseEnv, ...natsEnv, HTTP_PORT: httpPort(3000) });

/** What every service's validated config provides, inferred from the schema (never copied by hand). */
export type PlatformConfig = z.infer<typeof platformConfigSchema>;

export interface PlatformOptions<C extends PlatformConfig = PlatformConfig> {
  /** One of the four service names; used in subjects, metrics and logs. */
  service: string;
  config: C;
  /**
   * Path prefixes of hot read routes (`/v1/l1/`): their successful GETs are logged at `debug`
   * instead of `info` (errors unchanged). See `httpLogLevelFor`.
   */
  hotRoutes?: readonly string[];
}
