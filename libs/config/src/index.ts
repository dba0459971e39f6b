export * from './lib/env-pieces';
export * from './lib/load-config';
