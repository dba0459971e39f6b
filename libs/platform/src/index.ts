export * from './lib/platform.types';
export * from './lib/platform.constants';
export * from './lib/platform.module';
export * from './lib/event-publisher';
export * from './lib/bootstrap';
