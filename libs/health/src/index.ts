export * from './lib/health.types';
export * from './lib/health-registry';
export * from './lib/indicators';
export * from './lib/liveness';
export * from './lib/health.controller';
export * from './lib/health.module';
