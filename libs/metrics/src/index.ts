export * from './lib/metrics-registry';
export * from './lib/metrics.module';
export * from './lib/metrics.controller';
export * from './lib/http-metrics.interceptor';
