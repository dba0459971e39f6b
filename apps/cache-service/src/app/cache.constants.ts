/** The validated cache-service configuration (CacheConfig). */
export const CACHE_CONFIG = Symbol('CACHE_CONFIG');
export const SERVICE_NAME = 'cache-service';
/**
 * Read routes logged at debug when they succeed (the platform's `hotRoutes`; 4xx stay at warn, 5xx
 * at error). `/v1/l1`, `/v1/book`, `/v1/bbo` and `GET /v1/kv/<ns>/<key>` are also served by the fast path.
 */
export const HOT_READ_ROUTES: readonly string[] = ['/v1/l1/', '/v1/book/', '/v1/bbo/', '/v1/kv/', '/v1/trades/', '/v1/candles/', '/v1/status/'];
