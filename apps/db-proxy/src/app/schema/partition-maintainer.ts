import type { PoolManager } from '../pool/pool-manager';
import { dayString, oldestKeptDay, partitionDay } from './partitions';

export interface PartitionOptions {
  retentionDays: number;
  aheadDays: number;
  now?: () => number;
}

export interface MaintenanceResult {
  created: string[];
  dropped: string[];
}

/**
 * Keeps the daily partitions of `trades`: creates today's and `aheadDays` more, drops those older
 * than the retention (adjusting the instruments' counts and first trade time, and deleting the
 * candles of those days in the same transaction). Ingest asks `ensure()` for a day it has not seen.
 */
export class PartitionMaintainer {
  /** Days known to have a partition (on the current primary: cleared when it changes). */
  private readonly known = new Set<number>();

  constructor(
    private readonly pool: PoolManager,
    private readonly options: PartitionOptions,
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** The oldest day stored; trades older than it are expired on arrival (never re-create a dropped day). */
  get oldestKeptDay(): number {
    return oldestKeptDay(this.now(), this.options.retentionDays);
  }

  forget(): void {
    this.known.clear();
  }

  has(day: number): boolean {
    return this.known.has(day);
  }

  /** Makes sure each day has a partition (idempotent; outside any ingest transaction). */
  async ensure(days: Iterable<number>): Promise<string[]> {
    const missing = [...days].filter((d) => !this.known.has(d));
    if (missing.length === 0) return [];
    const rows = await this.pool.query<{ day: string; created: boolean }>(
      'partition_ensure',
      'primary',
      'SELECT d::text AS day, cs_ensure_trades_partition(d) AS created FROM unnest($1::date[]) AS d',
      [missing.map(dayString)],
      { idempotent: true },
    );
    for (const d of missing) this.known.add(d);
    return rows.filter((r) => r.created).map((r) => `trades_${r.day.replaceAll('-', '')}`);
  }

  async maintain(): Promise<MaintenanceResult> {
    const today = Math.floor(this.now() / 86_400_000);
    const ahead = Array.from({ length: this.options.aheadDays + 1 }, (_, i) => today + i);
    this.known.clear();
    const created = await this.ensure(ahead);
    const dropped = await this.dropExpired();
    return { created, dropped };
  }

  private async dropExpired(): Promise<string[]> {
    const cutoff = this.oldestKeptDay;
    const parts = await this.pool.query<{ name: string }>(
      'partition_list',
      'primary',
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'trades'::regclass ORDER BY 1`,
      [],
      { idempotent: true },
    );
    const expired = parts.map((p) => p.name).filter((n) => (partitionDay(n) ?? Infinity) < cutoff);
    for (const name of expired) {
      // Idempotent as a whole: the partition is gone afterwards, a retry finds nothing to drop.
      await this.pool.run(
        'partition_drop',
        'primary',
        async (client) => {
          await client.query('BEGIN');
          try {
            const exists = await client.query('SELECT to_regclass($1) IS NOT NULL AS e', [name]);
            if (exists.rows[0]?.e) {
              await client.query(
                `UPDATE instruments i SET trade_count = greatest(i.trade_count - d.n, 0)
                   FROM (SELECT venue, symbol, count(*) AS n FROM "${name}" GROUP BY 1, 2) d
                  WHERE i.venue = d.venue AND i.symbol = d.symbol`,
              );
              await client.query(`DROP TABLE "${name}"`);
            }
            const cutoffTs = `${dayString(cutoff)}T00:00:00Z`;
            await client.query('DELETE FROM candles_1m WHERE bucket < $1::timestamptz', [cutoffTs]);
            await client.query(
              `UPDATE instruments i SET first_ts = (SELECT min(t.ts) FROM trades t WHERE t.venue = i.venue AND t.symbol = i.symbol)
                WHERE i.first_ts < $1::timestamptz`,
              [cutoffTs],
            );
            await client.query('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK').catch(() => undefined);
            throw err;
          }
        },
        { idempotent: true },
      );
    }
    return expired;
  }
}
