import { BackgroundRetry } from '@cryptoscalp/circuit-breaker';

import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

import type { DbProxyConfig } from '../db-proxy.config';
import { DB_PROXY_CONFIG } from '../db-proxy.constants';
import { PoolManager } from '../pool/pool-manager';
import { SchemaState } from '../pool/schema-state';
import { PartitionMaintainer } from './partition-maintainer';
import { MIGRATIONS, runMigrations } from './schema-migrator';

/**
 * At start-up, once a primary is known: runs the pending migrations (DB_MIGRATE_ON_START) or
 * checks they were run (`nx run db-proxy:migrate`), creates the partitions ahead and drops the
 * expired ones; then keeps doing the latter every PARTITION_MAINTENANCE_INTERVAL_MS.
 * Readiness is `fail` until the schema is in place.
 */
@Injectable()
export class SchemaService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SchemaService.name);
  private retry: BackgroundRetry<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(DB_PROXY_CONFIG) private readonly config: DbProxyConfig,
    private readonly pool: PoolManager,
    private readonly state: SchemaState,
    private readonly partitions: PartitionMaintainer,
  ) {}

  onApplicationBootstrap(): void {
    this.retry = new BackgroundRetry(() => this.prepare(), {
      initialDelayMs: 250,
      maxDelayMs: 5_000,
      onFailure: (err, attempt) => {
        this.state.lastError = err.message;
        if (attempt === 1 || attempt % 10 === 0) this.logger.warn(`schema not ready (attempt ${attempt}): ${err.message}`);
      },
    });
    void this.retry.done.then(() => {
      this.timer = setInterval(() => void this.maintain(), this.config.PARTITION_MAINTENANCE_INTERVAL_MS);
      this.timer.unref();
    });
  }

  /** Waits for the schema (tests and ingest). */
  whenReady(): Promise<void> {
    return this.retry?.done ?? Promise.reject(new Error('schema service not started'));
  }

  private async prepare(): Promise<void> {
    if (!(await this.pool.whenPrimary(10_000))) throw new Error('no Postgres primary yet');
    const primary = this.pool.primary;
    if (!primary) throw new Error('no Postgres primary yet');
    if (this.config.DB_MIGRATE_ON_START) {
      const applied = await runMigrations({
        url: primary.options.url,
        password: this.config.POSTGRES_PASSWORD,
        schema: this.config.POSTGRES_SCHEMA,
        connectTimeoutMs: this.config.POSTGRES_CONNECT_TIMEOUT_MS,
      });
      if (applied.length) this.logger.log(`migrations applied on ${primary.name}: ${applied.join(', ')}`);
    } else {
      const rows = await this.pool.query<{ name: string }>('schema_check', 'primary', 'SELECT name FROM db_proxy_migrations', [], { idempotent: true });
      const done = new Set(rows.map((r) => r.name));
      const pending = MIGRATIONS.map((m) => m.name).filter((n) => !done.has(n));
      if (pending.length) throw new Error(`pending migrations (run "nx run db-proxy:migrate"): ${pending.join(', ')}`);
    }
    await this.maintain(true);
    this.state.ready = true;
    this.state.lastError = undefined;
  }

  private async maintain(rethrow = false): Promise<void> {
    try {
      const { created, dropped } = await this.partitions.maintain();
      if (created.length) this.logger.log(`partitions created: ${created.join(', ')}`);
      if (dropped.length) this.logger.log(`partitions dropped (older than ${this.config.TRADES_RETENTION_DAYS} days): ${dropped.join(', ')}`);
    } catch (err) {
      this.logger.warn(`partition maintenance failed: ${(err as Error).message}`);
      if (rethrow) throw err;
    }
  }

  onApplicationShutdown(): void {
    this.retry?.stop();
    if (this.timer) clearInterval(this.timer);
  }
}
