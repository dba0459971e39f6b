import { baseEnv, httpPort, natsEnv, redisEnv } from '@cryptoscalp/config';

import { z } from 'zod';

/** Every variable cache-service reads, validated once at startup (see README: Configuration). */
export const CacheConfigSchema = z.object({
  ...baseEnv,
  ...natsEnv,
  ...redisEnv,
  HTTP_PORT: httpPort(3002),
});
export type CacheConfig = z.infer<typeof CacheConfigSchema>;
