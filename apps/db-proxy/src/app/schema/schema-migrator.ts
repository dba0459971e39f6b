import { Client } from 'pg';
import { DataSource } from 'typeorm';

import { ENTITIES } from './entities';
import { InitialSchema1767225600000 } from './migrations/1767225600000-initial-schema';

/** Every migration, in order. Add new ones at the end (never edit one that has shipped). */
export const MIGRATIONS = [InitialSchema1767225600000];

export interface MigrateTarget {
  url: string;
  password?: string;
  schema: string;
  connectTimeoutMs: number;
}

/**
 * Creates the schema if needed and runs the pending TypeORM migrations on one server (the
 * primary), in one transaction, under an advisory lock so that replicas starting together run
 * them once. Returns the names of the migrations applied now.
 */
export async function runMigrations(target: MigrateTarget): Promise<string[]> {
  const { url, password, schema, connectTimeoutMs } = target;
  const searchPath = schema === 'public' ? 'public' : `"${schema}",public`;
  const lock = new Client({ connectionString: url, password, connectionTimeoutMillis: connectTimeoutMs, application_name: 'db-proxy/migrate' });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock(hashtext($1))', [`cryptoscalp.db-proxy.migrate.${schema}`]);
    await lock.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const ds = new DataSource({
      type: 'postgres',
      url,
      password,
      schema,
      applicationName: 'db-proxy/migrate',
      connectTimeoutMS: connectTimeoutMs,
      poolSize: 1,
      entities: ENTITIES,
      migrations: MIGRATIONS,
      migrationsTableName: 'db_proxy_migrations',
      migrationsTransactionMode: 'all',
      synchronize: false,
      logging: false,
      extra: { options: `-c search_path=${searchPath}` },
    });
    await ds.initialize();
    try {
      const applied = await ds.runMigrations({ transaction: 'all' });
      return applied.map((m) => m.name);
    } finally {
      await ds.destroy();
    }
  } finally {
    await lock.end().catch(() => undefined);
  }
}
