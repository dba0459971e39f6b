export const PLATFORM_OPTIONS = Symbol('PLATFORM_OPTIONS');
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
