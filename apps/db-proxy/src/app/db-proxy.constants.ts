/** The validated DbProxyConfig (see db-proxy.config.ts). */
export const DB_PROXY_CONFIG = Symbol('DB_PROXY_CONFIG');

export const SERVICE_NAME = 'db-proxy';
