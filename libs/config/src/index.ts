export * from './lib/env-pieces';
export * from './lib/load-config';
export * from './lib/redact';
export * from './lib/env-types';
