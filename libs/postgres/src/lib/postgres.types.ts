import type { PostgresEnv } from '@cryptoscalp/config';

/** The Postgres part of a service's validated config (`postgresEnv` in @cryptoscalp/config). */
export type PostgresConfig = Pick<PostgresEnv, 'POSTGRES_URL' | 'POSTGRES_SCHEMA' | 'POSTGRES_POOL_MAX' | 'POSTGRES_CONNECT_TIMEOUT_MS'> &
  Partial<Pick<PostgresEnv, 'POSTGRES_PASSWORD'>>;
