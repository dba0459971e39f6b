/** The Postgres part of a service's validated config (`postgresEnv` in @cryptoscalp/config). */
export interface PostgresConfig {
  POSTGRES_URL: string;
  POSTGRES_PASSWORD?: string;
  POSTGRES_SCHEMA: string;
  POSTGRES_POOL_MAX: number;
  POSTGRES_CONNECT_TIMEOUT_MS: number;
}
