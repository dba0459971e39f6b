export * from './lib/postgres.types';
export * from './lib/postgres.connector';
export { PostgresModule } from './lib/postgres.module';
