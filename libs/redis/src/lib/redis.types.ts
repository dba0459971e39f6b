/** The Redis part of a service's validated config (`redisEnv` in @cryptoscalp/config). */
export interface RedisConfig {
  REDIS_URL: string;
  REDIS_PASSWORD?: string;
  REDIS_KEY_PREFIX: string;
}

/** Injection token of the ioredis client. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
