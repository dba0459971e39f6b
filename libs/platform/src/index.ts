export * from './lib/platform.types';
export * from './lib/platform.constants';
export * from './lib/platform.module';
export * from './lib/event-publisher';
export * from './lib/bootstrap';
export * from './lib/service-address';
export * from './lib/nats-transport.server';
export * from './lib/http-logging';
