import type { Trade } from '@cryptoscalp/messaging';

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

import type { PoolManager } from '../pool/pool-manager';
import type { PartitionMaintainer } from '../schema/partition-maintainer';
import { buildCopyBatch, STAGING_COLUMNS } from './copy-rows';

export interface WriteResult {
  received: number;
  inserted: number;
  expired: number;
}

export interface TradeWriterOptions {
  stream: string;
  consumer: string;
  /** Statement timeout of the batch transaction. */
  writeTimeoutMs: number;
}

const STAGING_DDL = `CREATE TEMP TABLE IF NOT EXISTS trades_staging (
  venue text, symbol text, trade_id text, day date, ts_ms bigint, price numeric, size numeric, side text, recv_us bigint, seq bigint
) ON COMMIT DELETE ROWS`;

/**
 * Moves the staged rows into `trades`, skipping those already there, and merges exactly the rows
 * inserted now into the 1-minute candles and the instruments' counts: a replayed batch inserts
 * nothing and changes nothing, so redelivery after a crash gives the same tables.
 * Open/close order is (ts, trade id as a number when it is one).
 */
const MERGE_SQL = `
WITH ins AS (
  INSERT INTO trades (venue, symbol, trade_id, day, ts, price, size, side, recv_ts, stream_seq)
  SELECT venue, symbol, trade_id, day,
         timestamptz 'epoch' + ts_ms * interval '1 millisecond',
         price, size, side,
         timestamptz 'epoch' + recv_us * interval '1 microsecond',
         seq
    FROM trades_staging
  ON CONFLICT DO NOTHING
  RETURNING venue, symbol, trade_id, ts, price, size
), candles AS (
  INSERT INTO candles_1m AS k (venue, symbol, bucket, open, high, low, close, volume, trade_count, open_ts, open_id, close_ts, close_id)
  SELECT venue, symbol, date_bin('1 minute', ts, timestamptz 'epoch'),
         (array_agg(price ORDER BY ts, length(trade_id), trade_id))[1],
         max(price), min(price),
         (array_agg(price ORDER BY ts DESC, length(trade_id) DESC, trade_id DESC))[1],
         sum(size), count(*),
         min(ts), (array_agg(trade_id ORDER BY ts, length(trade_id), trade_id))[1],
         max(ts), (array_agg(trade_id ORDER BY ts DESC, length(trade_id) DESC, trade_id DESC))[1]
    FROM ins GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (venue, symbol, bucket) DO UPDATE SET
    high = greatest(k.high, excluded.high),
    low = least(k.low, excluded.low),
    volume = k.volume + excluded.volume,
    trade_count = k.trade_count + excluded.trade_count,
    open = CASE WHEN (excluded.open_ts, length(excluded.open_id), excluded.open_id) < (k.open_ts, length(k.open_id), k.open_id) THEN excluded.open ELSE k.open END,
    open_id = CASE WHEN (excluded.open_ts, length(excluded.open_id), excluded.open_id) < (k.open_ts, length(k.open_id), k.open_id) THEN excluded.open_id ELSE k.open_id END,
    open_ts = least(k.open_ts, excluded.open_ts),
    close = CASE WHEN (excluded.close_ts, length(excluded.close_id), excluded.close_id) > (k.close_ts, length(k.close_id), k.close_id) THEN excluded.close ELSE k.close END,
    close_id = CASE WHEN (excluded.close_ts, length(excluded.close_id), excluded.close_id) > (k.close_ts, length(k.close_id), k.close_id) THEN excluded.close_id ELSE k.close_id END,
    close_ts = greatest(k.close_ts, excluded.close_ts)
  RETURNING 1
), inst AS (
  INSERT INTO instruments AS x (venue, symbol, trade_count, first_ts, last_ts)
  SELECT venue, symbol, count(*), min(ts), max(ts) FROM ins GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (venue, symbol) DO UPDATE SET
    trade_count = x.trade_count + excluded.trade_count,
    first_ts = least(x.first_ts, excluded.first_ts),
    last_ts = greatest(x.last_ts, excluded.last_ts)
  RETURNING 1
)
SELECT count(*)::int AS inserted FROM ins`;

const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * Writes one batch of trades in one transaction on the primary: COPY into a per-connection
 * staging table, `INSERT … ON CONFLICT DO NOTHING` into the day partitions, candles, instrument
 * counts and the consumer checkpoint, then COMMIT. The caller acknowledges the messages only
 * after this resolves; any failure (or a crash) leaves them to be redelivered, and the replay
 * inserts nothing twice. Retried by the pool manager on the new primary (it is idempotent).
 */
export class TradeWriter {
  private readonly staged = new WeakSet<PoolClient>();

  constructor(
    private readonly pool: PoolManager,
    private readonly partitions: PartitionMaintainer,
    private readonly options: TradeWriterOptions,
  ) {}

  async write(trades: readonly Trade[], seqs: readonly number[]): Promise<WriteResult> {
    const batch = buildCopyBatch(trades, seqs, this.partitions.oldestKeptDay);
    if (batch.rows === 0) return { received: trades.length, inserted: 0, expired: batch.expired };
    await this.partitions.ensure(batch.days);
    const { stream, consumer, writeTimeoutMs } = this.options;
    const checkpoint = `INSERT INTO ingest_checkpoints AS c (stream, consumer, last_stream_seq, trades_inserted, trades_received, batches, updated_at)
      VALUES (${literal(stream)}, ${literal(consumer)}, ${batch.maxSeq}, {inserted}, ${trades.length}, 1, now())
      ON CONFLICT (stream, consumer) DO UPDATE SET
        last_stream_seq = greatest(c.last_stream_seq, excluded.last_stream_seq),
        trades_inserted = c.trades_inserted + excluded.trades_inserted,
        trades_received = c.trades_received + excluded.trades_received,
        batches = c.batches + 1,
        updated_at = now()`;
    const inserted = await this.pool.run(
      'ingest_batch',
      'primary',
      async (client) => {
        if (!this.staged.has(client)) {
          await client.query(STAGING_DDL);
          this.staged.add(client);
        }
        // A synchronous standby that went away: the server cancels the wait and reports the commit
        // as done locally only. Treat it as a failure (redelivered, idempotent), never as durable.
        let syncWarning: string | undefined;
        const onNotice = (n: { message?: string }) => {
          if (n.message?.includes('synchronous replication')) syncWarning = n.message;
        };
        client.on('notice', onNotice);
        try {
          await client.query(`BEGIN; SET LOCAL statement_timeout = ${Math.trunc(writeTimeoutMs)}`);
          await pipeline(Readable.from([batch.text]), client.query(copyFrom(`COPY trades_staging (${STAGING_COLUMNS}) FROM STDIN`)));
          const merged = await client.query<{ inserted: number }>(MERGE_SQL);
          const n = merged.rows[0]?.inserted ?? 0;
          await client.query(`${checkpoint.replace('{inserted}', String(n))}; COMMIT`);
          if (syncWarning) throw new Error(`commit not confirmed by the synchronous standby: ${syncWarning}`);
          return n;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        } finally {
          client.off('notice', onNotice);
        }
      },
      { idempotent: true },
    );
    return { received: trades.length, inserted, expired: batch.expired };
  }
}
