import { baseEnv, httpPort, natsEnv } from '@cryptoscalp/config';

import { z } from 'zod';

/** Every variable market-data-gateway reads, validated once at startup (see README: Configuration). */
export const GatewayConfigSchema = z.object({
  ...baseEnv,
  ...natsEnv,
  HTTP_PORT: httpPort(3001),
});
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;
