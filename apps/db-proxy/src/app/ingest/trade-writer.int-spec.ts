import { ResilienceRegistry } from '@cryptoscalp/circuit-breaker';
import type { Trade } from '@cryptoscalp/messaging';
import { INFRA, testNamespace } from '@cryptoscalp/testing';

import { Client } from 'pg';

import { PoolManager } from '../pool/pool-manager';
import { PartitionMaintainer } from '../schema/partition-maintainer';
import { runMigrations } from '../schema/schema-migrator';
import { TradeWriter } from './trade-writer';

jest.setTimeout(60_000);

const quiet = { log: () => undefined, warn: () => undefined };

/** A deterministic mixed batch: ties on time, ids of different lengths, exponents, trailing zeros, two instruments, several minutes and two days. */
function batch(n: number): Trade[] {
  let x = 12345;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const t0 = Date.UTC(2026, 10, 26, 23, 57, 0);
  const out: Trade[] = [];
  for (let i = 0; i < n; i++) {
    const ts = t0 + Math.floor(rnd() * 300_000); // 5 minutes across midnight UTC
    const cents = 9_000_000 + Math.floor(rnd() * 5_000);
    const price = rnd() < 0.1 ? `${cents}e-2` : `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}${rnd() < 0.3 ? '000' : ''}`;
    const size = rnd() < 0.1 ? `${1 + Math.floor(rnd() * 9)}e-8` : `0.${String(Math.floor(rnd() * 1e6)).padStart(6, '0')}`;
    out.push({ v: 1, venue: 'okx', symbol: i % 3 ? 'BTC-USDT' : 'ETH-USDT', id: String(i * 7 + (i % 5 ? 100 : 5)), price, size, side: rnd() < 0.5 ? 'buy' : 'sell', ts, recvTs: ts * 1000 + i });
  }
  return out;
}

describe('TradeWriter: the COPY fast path and the ON CONFLICT fallback store the same (real Postgres)', () => {
  const a = testNamespace('twa');
  const b = testNamespace('twb');
  const admin = new Client({ connectionString: INFRA.postgresUrl });
  const pools: PoolManager[] = [];

  async function writer(schema: string): Promise<TradeWriter> {
    await runMigrations({ url: INFRA.postgresUrl, schema, connectTimeoutMs: 2000 });
    const pool = new PoolManager(
      { urls: [INFRA.postgresUrl], schema, applicationName: 'spec', poolMax: 2, connectTimeoutMs: 2000, statementTimeoutMs: 10_000, healthIntervalMs: 200, ejectAfter: 3, slowQueryMs: 10_000, retryAttempts: 2 },
      new ResilienceRegistry(),
      quiet,
    );
    pools.push(pool);
    pool.start();
    await pool.whenPrimary(5000);
    const parts = new PartitionMaintainer(pool, { retentionDays: 100_000, aheadDays: 0 });
    return new TradeWriter(pool, parts, { stream: 'S', consumer: 'C', writeTimeoutMs: 10_000 });
  }

  const dump = async (schema: string) => ({
    trades: (await admin.query(`SELECT venue, symbol, trade_id, day::text, ts, price::text, size::text, side, recv_ts, stream_seq FROM "${schema}".trades ORDER BY 1, 2, 3`)).rows,
    // By value: equal prices may be written with different trailing zeros ("1.50", "1.5"); which one a tie keeps is not defined.
    candles: (await admin.query(`SELECT venue, symbol, bucket, trim_scale(open)::text AS open, trim_scale(high)::text AS high, trim_scale(low)::text AS low,
        trim_scale(close)::text AS close, trim_scale(volume)::text AS volume, trade_count, open_ts, open_id, close_ts, close_id FROM "${schema}".candles_1m ORDER BY 1, 2, 3`)).rows,
    instruments: (await admin.query(`SELECT venue, symbol, trade_count, first_ts, last_ts FROM "${schema}".instruments ORDER BY 1, 2`)).rows,
  });

  beforeAll(() => admin.connect());
  afterAll(async () => {
    for (const p of pools) await p.stop();
    for (const s of [a.schema, b.schema]) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await admin.end();
  });

  it('same trades, candles and counts whichever path wrote them; a redelivered batch changes nothing', async () => {
    const trades = batch(3000);
    const seqs = trades.map((_, i) => i + 1);
    const wa = await writer(a.schema);
    const wb = await writer(b.schema);

    // A: all new, in two batches -> the COPY path twice.
    expect(await wa.write(trades.slice(0, 1700), seqs.slice(0, 1700))).toEqual({ received: 1700, inserted: 1700, expired: 0 });
    expect(await wa.write(trades.slice(1700), seqs.slice(1700))).toEqual({ received: 1300, inserted: 1300, expired: 0 });
    expect(wa.paths).toEqual({ copy: 2, fallback: 0 });
    // B: one batch carrying a trade twice -> COPY fails on the key, the fallback stores each once.
    expect(await wb.write([...trades, trades[42] as Trade], [...seqs, 3001])).toEqual({ received: 3001, inserted: 3000, expired: 0 });
    expect(wb.paths).toEqual({ copy: 0, fallback: 1 });

    const da = await dump(a.schema);
    expect(da.trades).toHaveLength(3000);
    expect(da.instruments.map((r) => Number(r.trade_count))).toEqual([2000, 1000]);
    // Candles of two days and six minutes (23:57 .. 00:02), for both instruments.
    expect(da.candles.length).toBeGreaterThanOrEqual(10);
    expect(await dump(b.schema)).toEqual(da);

    // Independent check of one candle against the rows themselves, summed by Postgres.
    const check = await admin.query(
      `SELECT sum(size)::text AS volume, max(price)::text AS high, min(price)::text AS low, count(*)::int AS n FROM "${a.schema}".trades
        WHERE symbol = 'BTC-USDT' AND ts >= '2026-11-26T23:58:00Z' AND ts < '2026-11-26T23:59:00Z'`,
    );
    const candle = da.candles.find((c) => c.symbol === 'BTC-USDT' && c.bucket.getTime() === Date.UTC(2026, 10, 26, 23, 58));
    expect(Number(candle?.trade_count)).toBe(check.rows[0].n);
    expect([candle?.volume, candle?.high, candle?.low].map(Number)).toEqual([check.rows[0].volume, check.rows[0].high, check.rows[0].low].map(Number));

    // Redelivery of an already stored batch: the fallback inserts nothing and changes nothing.
    expect(await wa.write(trades.slice(0, 1700), seqs.slice(0, 1700))).toEqual({ received: 1700, inserted: 0, expired: 0 });
    expect(wa.paths).toEqual({ copy: 2, fallback: 1 });
    expect(await dump(a.schema)).toEqual(da);
  });
});
