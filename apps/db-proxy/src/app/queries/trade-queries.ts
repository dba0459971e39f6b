import { NoNodeAvailableError } from '../pool/pg-errors';
import type { PoolManager } from '../pool/pool-manager';
import { dayNumber, dayString } from '../schema/partitions';
import { CANDLE_INTERVALS, type CandlesQuery, encodeCursor, type Instrument, QueryError, type TradesQuery } from './query-params';

export interface TradeItem {
  id: string;
  price: string;
  size: string;
  side: 'buy' | 'sell';
  /** Exchange time, epoch ms. */
  ts: number;
  /** Gateway receive time, epoch µs. */
  recvTs: number;
}

export interface TradesPage {
  items: TradeItem[];
  /** Pass as `cursor` for the next page; null on the last one. */
  next: string | null;
}

export interface Candle {
  /** Start of the interval, epoch ms. */
  ts: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  trades: number;
}

export interface StatsItem {
  venue: string;
  symbol: string;
  count: number;
  firstTs: number | null;
  lastTs: number | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

const TRADE_COLUMNS = `trade_id AS id, price::text AS price, size::text AS size, side,
  (extract(epoch FROM ts) * 1000)::bigint AS ts, (extract(epoch FROM recv_ts) * 1000000)::bigint AS recv_ts`;

interface TradeRow {
  id: string;
  price: string;
  size: string;
  side: 'buy' | 'sell';
  ts: string;
  recv_ts: string;
}

const toItem = (r: TradeRow): TradeItem => ({ id: r.id, price: r.price, size: r.size, side: r.side, ts: Number(r.ts), recvTs: Number(r.recv_ts) });

/**
 * The history queries, read from replicas when there are healthy ones (else the primary), each
 * under the pool's statement timeout. Trades come in (ts, trade id) order; a page's `next` cursor
 * is the last row's key, so pages never skip or repeat rows even while ingest adds more.
 */
export class TradeQueries {
  constructor(
    private readonly pool: PoolManager,
    private readonly lag: () => number | undefined,
  ) {}

  async trades(q: TradesQuery): Promise<TradesPage> {
    const params: unknown[] = [q.venue, q.symbol];
    const where = ['venue = $1', 'symbol = $2'];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    // Day bounds let the planner prune partitions; ts bounds are exact.
    if (q.from !== undefined) {
      add('ts >= ?::timestamptz', iso(q.from));
      add('day >= ?::date', dayString(dayNumber(q.from)));
    }
    if (q.to !== undefined) {
      add('ts < ?::timestamptz', iso(q.to));
      add('day <= ?::date', dayString(dayNumber(q.to - 1)));
    }
    if (q.cursor) {
      params.push(iso(q.cursor.ts), q.cursor.id);
      where.push(`(ts, trade_id) > ($${params.length - 1}::timestamptz, $${params.length})`);
      add('day >= ?::date', dayString(dayNumber(q.cursor.ts)));
    }
    params.push(q.limit + 1);
    const rows = await this.read<TradeRow>(
      'trades_range',
      `SELECT ${TRADE_COLUMNS} FROM trades WHERE ${where.join(' AND ')} ORDER BY ts, trade_id LIMIT $${params.length}`,
      params,
    );
    const more = rows.length > q.limit;
    const items = (more ? rows.slice(0, q.limit) : rows).map(toItem);
    const last = items[items.length - 1];
    return { items, next: more && last ? encodeCursor(last.ts, last.id) : null };
  }

  async latest(q: Instrument): Promise<{ item: TradeItem }> {
    const rows = await this.read<TradeRow>(
      'trades_latest',
      `SELECT ${TRADE_COLUMNS} FROM trades WHERE venue = $1 AND symbol = $2 ORDER BY ts DESC, trade_id DESC LIMIT 1`,
      [q.venue, q.symbol],
    );
    const row = rows[0];
    if (!row) throw new QueryError(404, `no trade stored for ${q.venue} ${q.symbol}`);
    return { item: toItem(row) };
  }

  async candles(q: CandlesQuery): Promise<{ interval: string; items: Candle[] }> {
    const rows = await this.read<{ ts: string; open: string; high: string; low: string; close: string; volume: string; trades: string }>(
      'candles_range',
      `SELECT (extract(epoch FROM b) * 1000)::bigint AS ts, open, high, low, close, volume, trades FROM (
         SELECT date_bin($3::interval, bucket, timestamptz 'epoch') AS b,
                (array_agg(open ORDER BY bucket))[1]::text AS open, max(high)::text AS high, min(low)::text AS low,
                (array_agg(close ORDER BY bucket DESC))[1]::text AS close, sum(volume)::text AS volume, sum(trade_count) AS trades
           FROM candles_1m
          WHERE venue = $1 AND symbol = $2 AND bucket >= date_bin($3::interval, $4::timestamptz, timestamptz 'epoch') AND bucket < $5::timestamptz
          GROUP BY 1) c
        ORDER BY 1`,
      [q.venue, q.symbol, `${CANDLE_INTERVALS[q.interval] / 1000} seconds`, iso(q.from), iso(q.to)],
    );
    return {
      interval: q.interval,
      items: rows.map((r) => ({ ts: Number(r.ts), open: r.open, high: r.high, low: r.low, close: r.close, volume: r.volume, trades: Number(r.trades) })),
    };
  }

  async stats(): Promise<{ items: StatsItem[]; lag: number | null }> {
    const rows = await this.read<{ venue: string; symbol: string; count: string; first_ts: string | null; last_ts: string | null }>(
      'instruments_stats',
      `SELECT venue, symbol, trade_count AS count,
              (extract(epoch FROM first_ts) * 1000)::bigint AS first_ts, (extract(epoch FROM last_ts) * 1000)::bigint AS last_ts
         FROM instruments WHERE trade_count > 0 ORDER BY venue, symbol`,
      [],
    );
    return {
      items: rows.map((r) => ({
        venue: r.venue,
        symbol: r.symbol,
        count: Number(r.count),
        firstTs: r.first_ts === null ? null : Number(r.first_ts),
        lastTs: r.last_ts === null ? null : Number(r.last_ts),
      })),
      lag: this.lag() ?? null,
    };
  }

  private async read<R extends object>(name: string, sql: string, params: unknown[]): Promise<R[]> {
    try {
      return await this.pool.query<R>(name, 'replica', sql, params, { idempotent: true });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === '57014') throw new QueryError(504, 'query timed out (statement timeout)');
      if (err instanceof QueryError) throw err;
      if (err instanceof NoNodeAvailableError) throw new QueryError(503, err.message);
      throw new QueryError(503, `query failed: ${(err as Error).message}`);
    }
  }
}
