export * from './lib/redis.types';
export * from './lib/redis.factory';
export { RedisModule } from './lib/redis.module';
