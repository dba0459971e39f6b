export * from './lib/health.types';
export * from './lib/health-registry';
export * from './lib/indicators';
export * from './lib/health.module';
