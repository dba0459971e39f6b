import { BackgroundRetry } from '@cryptoscalp/circuit-breaker';

import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';

/**
 * Initializes the TypeORM DataSource in the background and keeps retrying with capped,
 * jittered backoff until the pool is up AND the service's schema exists, so the service boots
 * (and reports `fail` readiness) while Postgres is down. Every connection of the pool has
 * `search_path` set to the schema (see PostgresModule), so raw SQL and COPY stay in it too.
 */
export class PostgresConnector {
  private readonly logger = new Logger('Postgres');
  private retry: BackgroundRetry<void> | undefined;
  private stopped = false;
  /** True once connected and the schema exists; health is `fail` until then. */
  ready = false;

  constructor(
    readonly dataSource: DataSource,
    private readonly schema: string,
  ) {}

  get lastError(): string | undefined {
    return this.retry?.lastError?.message;
  }

  get attempts(): number {
    return this.retry?.attempts ?? 0;
  }

  start(): void {
    this.retry ??= new BackgroundRetry(() => this.attempt(), {
      initialDelayMs: 250,
      maxDelayMs: 5_000,
      onFailure: (err, attempt, delay) => {
        if (attempt === 1 || attempt % 10 === 0)
          this.logger.warn(`Postgres connect attempt ${attempt} failed: ${err.message}; retrying in ${Math.round(delay)} ms`);
      },
    });
    this.retry.done.catch(() => undefined);
  }

  /** Resolves once ready; rejects if stopped first. */
  whenReady(): Promise<void> {
    this.start();
    return (this.retry as BackgroundRetry<void>).done;
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    if (!this.dataSource.isInitialized) await this.dataSource.initialize();
    if (this.stopped) {
      await this.dataSource.destroy();
      return;
    }
    // Schema creation is part of being ready: a failure here is retried like a connect failure.
    if (this.schema !== 'public') await this.dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
    const [row] = (await this.dataSource.query('SELECT current_schema() AS schema')) as { schema: string | null }[];
    if (row?.schema !== this.schema) throw new Error(`search_path does not reach schema "${this.schema}" (current_schema() is ${row?.schema ?? 'null'})`);
    this.ready = true;
    this.logger.log(`Postgres connected (schema ${this.schema})`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.ready = false;
    this.retry?.stop();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
