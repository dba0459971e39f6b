import type { RedisEnv } from '@cryptoscalp/config';

/** The Redis part of a service's validated config (`redisEnv` in @cryptoscalp/config). */
export type RedisConfig = Pick<RedisEnv, 'REDIS_URL' | 'REDIS_KEY_PREFIX'> & Partial<Pick<RedisEnv, 'REDIS_PASSWORD'>>;

/** Injection token of the ioredis client. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
