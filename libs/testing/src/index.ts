export * from './lib/namespace';
export * from './lib/spawn-service';
export * from './lib/service-contract';
export * from './lib/prometheus-text';
export * from './lib/private-server';
