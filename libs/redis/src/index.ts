export * from './lib/redis.types';
export * from './lib/redis.factory';
export * from './lib/redis.module';
