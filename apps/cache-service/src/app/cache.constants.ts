/** The validated cache-service configuration (CacheConfig). */
export const CACHE_CONFIG = Symbol('CACHE_CONFIG');
export const SERVICE_NAME = 'cache-service';
