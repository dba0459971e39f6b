import type { z } from 'zod';

import type { natsEnv, postgresEnv, redisEnv } from './env-pieces';

/** Types of the shared config pieces, inferred from their schemas (never copied by hand). */
type Inferred<Shape extends z.ZodRawShape> = z.infer<z.ZodObject<Shape>>;

export type NatsEnv = Inferred<typeof natsEnv>;
export type RedisEnv = Inferred<typeof redisEnv>;
export type PostgresEnv = Inferred<typeof postgresEnv>;
