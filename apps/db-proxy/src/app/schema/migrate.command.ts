import { ResilienceRegistry } from '@cryptoscalp/circuit-breaker';

import type { DbProxyConfig } from '../db-proxy.config';
import { poolManagerFor } from '../pool/pool.module';
import { runMigrations } from './schema-migrator';

/**
 * `node main.js migrate`: finds the primary among POSTGRES_NODES (or POSTGRES_URL), runs the
 * pending migrations there, prints one line, returns the exit code (0 done, 1 failed).
 */
export async function migrateCommand(config: DbProxyConfig): Promise<number> {
  const pool = poolManagerFor({ ...config, POSTGRES_POOL_MAX: 1 }, new ResilienceRegistry());
  try {
    await pool.probeRound();
    const primary = pool.primary;
    if (!primary) {
      process.stderr.write(`db-proxy migrate: no Postgres primary: ${JSON.stringify(pool.status().map((n) => ({ node: n.name, role: n.role, error: n.lastError })))}\n`);
      return 1;
    }
    const applied = await runMigrations({
      url: primary.options.url,
      password: config.POSTGRES_PASSWORD,
      schema: config.POSTGRES_SCHEMA,
      connectTimeoutMs: config.POSTGRES_CONNECT_TIMEOUT_MS,
    });
    process.stdout.write(`db-proxy migrate: ${primary.name} schema ${config.POSTGRES_SCHEMA}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`db-proxy migrate: failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await pool.stop();
  }
}
