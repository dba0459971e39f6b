import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';

/**
 * Initializes the TypeORM DataSource in the background and keeps retrying with capped,
 * jittered backoff, so the service boots (and reports `fail` readiness) while Postgres is down.
 */
export class PostgresConnector {
  private readonly logger = new Logger('Postgres');
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  lastError: string | undefined;
  attempts = 0;

  constructor(
    readonly dataSource: DataSource,
    private readonly schema: string,
  ) {}

  start(): void {
    void this.attempt();
  }

  private async attempt(): Promise<void> {
    if (this.stopped || this.dataSource.isInitialized) return;
    this.attempts++;
    try {
      await this.dataSource.initialize();
      if (this.stopped) {
        await this.dataSource.destroy();
        return;
      }
      if (this.schema !== 'public') await this.dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      this.lastError = undefined;
      this.logger.log(`Postgres connected (schema ${this.schema})`);
    } catch (err) {
      this.lastError = (err as Error).message;
      const delay = Math.min(250 * 2 ** Math.min(this.attempts, 4), 5000) + Math.floor(Math.random() * 250);
      if (this.attempts === 1 || this.attempts % 10 === 0)
        this.logger.warn(`Postgres connect attempt ${this.attempts} failed: ${this.lastError}; retrying`);
      this.timer = setTimeout(() => void this.attempt(), delay);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
