import type { Trade } from '@cryptoscalp/messaging';

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

import type { PoolManager } from '../pool/pool-manager';
import type { PartitionMaintainer } from '../schema/partition-maintainer';
import { aggregateBatch, type BatchAggregates } from './batch-aggregates';
import { buildCopyBatch, COPY_COLUMNS } from './copy-rows';

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

/** Per-connection staging table of the fallback path, in the columns of `trades`. */
const STAGING_DDL = `CREATE TEMP TABLE IF NOT EXISTS trades_staging_v2 (
  venue text, symbol text, trade_id text, day date, ts timestamptz, price numeric, size numeric, side text, recv_ts timestamptz, stream_seq bigint
) ON COMMIT DELETE ROWS`;

/**
 * Merges a batch's candles (`src`: venue, symbol, bucket, open, high, low, close, volume,
 * trade_count, open_ts, open_id, close_ts, close_id) into `candles_1m`: open and close by
 * (ts, length(id), id bytewise), so every write path and any split of a stream into batches
 * gives the same candle.
 */
const candleMerge = (src: string) => `
  INSERT INTO candles_1m AS k (venue, symbol, bucket, open, high, low, close, volume, trade_count, open_ts, open_id, close_ts, close_id)
  ${src}
  ON CONFLICT (venue, symbol, bucket) DO UPDATE SET
    high = greatest(k.high, excluded.high),
    low = least(k.low, excluded.low),
    volume = k.volume + excluded.volume,
    trade_count = k.trade_count + excluded.trade_count,
    open = CASE WHEN (excluded.open_ts, length(excluded.open_id), excluded.open_id COLLATE "C") < (k.open_ts, length(k.open_id), k.open_id COLLATE "C") THEN excluded.open ELSE k.open END,
    open_id = CASE WHEN (excluded.open_ts, length(excluded.open_id), excluded.open_id COLLATE "C") < (k.open_ts, length(k.open_id), k.open_id COLLATE "C") THEN excluded.open_id ELSE k.open_id END,
    open_ts = least(k.open_ts, excluded.open_ts),
    close = CASE WHEN (excluded.close_ts, length(excluded.close_id), excluded.close_id COLLATE "C") > (k.close_ts, length(k.close_id), k.close_id COLLATE "C") THEN excluded.close ELSE k.close END,
    close_id = CASE WHEN (excluded.close_ts, length(excluded.close_id), excluded.close_id COLLATE "C") > (k.close_ts, length(k.close_id), k.close_id COLLATE "C") THEN excluded.close_id ELSE k.close_id END,
    close_ts = greatest(k.close_ts, excluded.close_ts)
  RETURNING 1`;

/** Merges a batch's per-instrument counts (`src`: venue, symbol, count, first ts, last ts) into `instruments`. */
const instrumentMerge = (src: string) => `
  INSERT INTO instruments AS x (venue, symbol, trade_count, first_ts, last_ts)
  ${src}
  ON CONFLICT (venue, symbol) DO UPDATE SET
    trade_count = x.trade_count + excluded.trade_count,
    first_ts = least(x.first_ts, excluded.first_ts),
    last_ts = greatest(x.last_ts, excluded.last_ts)
  RETURNING 1`;

/**
 * Fallback path: moves the staged rows into `trades`, skipping those already there, and merges
 * exactly the rows inserted now into the candles and the instruments' counts: a replayed batch
 * inserts nothing and changes nothing, so redelivery after a crash gives the same tables.
 */
const MERGE_SQL = `
WITH ins AS (
  INSERT INTO trades (${COPY_COLUMNS}) SELECT ${COPY_COLUMNS} FROM trades_staging_v2
  ON CONFLICT DO NOTHING
  RETURNING venue, symbol, trade_id, ts, price, size
), candles AS (${candleMerge(`SELECT venue, symbol, date_bin('1 minute', ts, timestamptz 'epoch'),
         (array_agg(price ORDER BY ts, length(trade_id), trade_id COLLATE "C"))[1],
         max(price), min(price),
         (array_agg(price ORDER BY ts DESC, length(trade_id) DESC, trade_id COLLATE "C" DESC))[1],
         sum(size), count(*),
         min(ts), (array_agg(trade_id ORDER BY ts, length(trade_id), trade_id COLLATE "C"))[1],
         max(ts), (array_agg(trade_id ORDER BY ts DESC, length(trade_id) DESC, trade_id COLLATE "C" DESC))[1]
    FROM ins GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`)}
), inst AS (${instrumentMerge('SELECT venue, symbol, count(*), min(ts), max(ts) FROM ins GROUP BY 1, 2 ORDER BY 1, 2')})
SELECT count(*)::int AS inserted FROM ins`;

const ms = (column: string) => `timestamptz 'epoch' + ${column} * interval '1 millisecond'`;

/**
 * Fast path, after the batch was COPYed straight into `trades` (every row new, or the COPY
 * would have failed): merges the candles and counts the service computed from the batch
 * (`aggregateBatch`, exact decimals), passed as arrays ($1–$13 candles, $14–$18 instruments).
 */
const AGGREGATES_SQL = `
WITH candles AS (${candleMerge(`SELECT v, s, ${ms('b')}, o, h, l, c, vol, n, ${ms('ots')}, oid, ${ms('cts')}, cid
    FROM unnest($1::text[], $2::text[], $3::bigint[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[], $8::numeric[],
                $9::int[], $10::bigint[], $11::text[], $12::bigint[], $13::text[]) AS u(v, s, b, o, h, l, c, vol, n, ots, oid, cts, cid)
    ORDER BY 1, 2, 3`)}
), inst AS (${instrumentMerge(`SELECT v, s, n, ${ms('f')}, ${ms('t')}
    FROM unnest($14::text[], $15::text[], $16::bigint[], $17::bigint[], $18::bigint[]) AS u(v, s, n, f, t) ORDER BY 1, 2`)})
SELECT (SELECT count(*) FROM candles)::int AS candles, (SELECT count(*) FROM inst)::int AS instruments`;

function aggregateParams(a: BatchAggregates): unknown[] {
  const c = a.candles;
  const i = a.instruments;
  return [
    c.map((x) => x.venue),
    c.map((x) => x.symbol),
    c.map((x) => x.bucket),
    c.map((x) => x.open),
    c.map((x) => x.high),
    c.map((x) => x.low),
    c.map((x) => x.close),
    c.map((x) => x.volume),
    c.map((x) => x.count),
    c.map((x) => x.openTs),
    c.map((x) => x.openId),
    c.map((x) => x.closeTs),
    c.map((x) => x.closeId),
    i.map((x) => x.venue),
    i.map((x) => x.symbol),
    i.map((x) => x.count),
    i.map((x) => x.firstTs),
    i.map((x) => x.lastTs),
  ];
}

const UNIQUE_VIOLATION = '23505';

const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * Writes one batch of trades in one transaction on the primary, then COMMIT; the caller
 * acknowledges the messages only after this resolves, and any failure (or a crash) leaves them
 * to be redelivered. Fast path: COPY straight into the day partitions, then the candles and
 * counts computed here merged in one statement, with the consumer checkpoint. When any row is
 * already stored (a redelivery: COPY fails on the primary key) the transaction is rolled back
 * and the fallback path runs: COPY into a per-connection staging table, `INSERT … ON CONFLICT DO
 * NOTHING`, and candles and counts of exactly the rows inserted. Either way a replay inserts
 * nothing twice; retried by the pool manager on the new primary (it is idempotent).
 */
export class TradeWriter {
  private readonly staged = new WeakSet<PoolClient>();
  /** Batches written by each path (the fallback runs for redeliveries and duplicates). */
  readonly paths = { copy: 0, fallback: 0 };

  constructor(
    private readonly pool: PoolManager,
    private readonly partitions: PartitionMaintainer,
    private readonly options: TradeWriterOptions,
  ) {}

  async write(trades: readonly Trade[], seqs: readonly number[]): Promise<WriteResult> {
    const batch = buildCopyBatch(trades, seqs, this.partitions.oldestKeptDay);
    if (batch.rows === 0) return { received: trades.length, inserted: 0, expired: batch.expired };
    await this.partitions.ensure(batch.days);
    const aggregates = aggregateBatch(trades, batch.stored);
    const { stream, consumer, writeTimeoutMs } = this.options;
    const checkpoint = (inserted: number) => `INSERT INTO ingest_checkpoints AS c (stream, consumer, last_stream_seq, trades_inserted, trades_received, batches, updated_at)
      VALUES (${literal(stream)}, ${literal(consumer)}, ${batch.maxSeq}, ${inserted}, ${trades.length}, 1, now())
      ON CONFLICT (stream, consumer) DO UPDATE SET
        last_stream_seq = greatest(c.last_stream_seq, excluded.last_stream_seq),
        trades_inserted = c.trades_inserted + excluded.trades_inserted,
        trades_received = c.trades_received + excluded.trades_received,
        batches = c.batches + 1,
        updated_at = now()`;
    const copy = (client: PoolClient, table: string) =>
      pipeline(Readable.from([batch.text]), client.query(copyFrom(`COPY ${table} (${COPY_COLUMNS}) FROM STDIN`)));
    const inserted = await this.pool.run(
      'ingest_batch',
      'primary',
      (client) =>
        this.transaction(client, writeTimeoutMs, async () => {
          await copy(client, 'trades');
          await client.query(AGGREGATES_SQL, aggregateParams(aggregates));
          await client.query(`${checkpoint(batch.rows)}; COMMIT`);
          this.paths.copy++;
          return batch.rows;
        }).catch(async (err: unknown) => {
          if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
          if (!this.staged.has(client)) {
            await client.query(STAGING_DDL);
            this.staged.add(client);
          }
          return this.transaction(client, writeTimeoutMs, async () => {
            await copy(client, 'trades_staging_v2');
            const merged = await client.query<{ inserted: number }>(MERGE_SQL);
            const n = merged.rows[0]?.inserted ?? 0;
            await client.query(`${checkpoint(n)}; COMMIT`);
            this.paths.fallback++;
            return n;
          });
        }),
      { idempotent: true },
    );
    return { received: trades.length, inserted, expired: batch.expired };
  }

  /** BEGIN with a statement timeout, `body` (which COMMITs), ROLLBACK on any failure. */
  private async transaction(client: PoolClient, timeoutMs: number, body: () => Promise<number>): Promise<number> {
    // A synchronous standby that went away: the server cancels the wait and reports the commit
    // as done locally only. Treat it as a failure (redelivered, idempotent), never as durable.
    let syncWarning: string | undefined;
    const onNotice = (n: { message?: string }) => {
      if (n.message?.includes('synchronous replication')) syncWarning = n.message;
    };
    client.on('notice', onNotice);
    try {
      await client.query(`BEGIN; SET LOCAL statement_timeout = ${Math.trunc(timeoutMs)}`);
      const n = await body();
      if (syncWarning) throw new Error(`commit not confirmed by the synchronous standby: ${syncWarning}`);
      return n;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.off('notice', onNotice);
    }
  }
}
