export * from './lib/postgres.types';
export * from './lib/postgres.connector';
export * from './lib/postgres.module';
