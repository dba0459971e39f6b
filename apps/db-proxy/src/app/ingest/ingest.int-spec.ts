import { type StartedService, startService } from '@cryptoscalp/platform';
import { INFRA, testNamespace, waitFor } from '@cryptoscalp/testing';

import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { Client } from 'pg';

import { ensureTradesStream, type FeedTrade, feedTrade, TradeFeed, tradeKey } from '../../testing/trade-feed';
import { AppModule } from '../app.module';
import { DbProxyConfigSchema } from '../db-proxy.config';

jest.setTimeout(120_000);

/** Independent oracle: 1-minute OHLCV of the published trades, in plain JS (sizes summed in integer 1e-4 units). */
function oracleCandles(trades: FeedTrade[]) {
  const byMinute = new Map<number, FeedTrade[]>();
  for (const t of trades) {
    const m = Math.floor(t.ts / 60_000) * 60_000;
    byMinute.set(m, [...(byMinute.get(m) ?? []), t]);
  }
  return [...byMinute.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([ts, list]) => {
      const sorted = [...list].sort((a, b) => a.ts - b.ts);
      const prices = sorted.map((t) => Number(t.price));
      const units = sorted.reduce((s, t) => s + Math.round(Number(t.size) * 10_000), 0);
      return { ts, open: Number(sorted[0]?.price), high: Math.max(...prices), low: Math.min(...prices), close: Number(sorted.at(-1)?.price), volume: units, trades: list.length };
    });
}

describe('db-proxy ingest and queries (in process, real NATS and Postgres)', () => {
  const ns = testNamespace('dbi');
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let admin: Client;
  let svc: StartedService | undefined;
  let feed: TradeFeed;
  // Today (within retention), aligned to a minute so candles split predictably.
  const baseTs = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;

  const config = () =>
    DbProxyConfigSchema.parse({
      INSTANCE_ID: `${ns.id}-1`,
      NATS_URL: INFRA.natsUrl,
      NATS_SUBJECT_PREFIX: ns.subjectPrefix,
      POSTGRES_URL: INFRA.postgresUrl,
      POSTGRES_SCHEMA: ns.schema,
      LOG_LEVEL: 'silent',
      SHUTDOWN_DRAIN_MS: '0',
      INGEST_BATCH_MAX: '700',
      INGEST_LAG_INTERVAL_MS: '200',
    });
  const start = async () => (svc = await startService(AppModule.forRoot(config()), { logs: false, port: 0 }));
  const get = async (path: string) => {
    const res = await fetch(`${svc?.url}${path}`);
    return { status: res.status, body: (await res.json()) as any };
  };
  const rowCount = async () => Number((await admin.query(`SELECT count(*) AS n FROM "${ns.schema}".trades`)).rows[0].n);

  beforeAll(async () => {
    nc = await connect({ servers: INFRA.natsUrl });
    jsm = await nc.jetstreamManager();
    admin = new Client({ connectionString: INFRA.postgresUrl });
    await admin.connect();
    await ensureTradesStream(jsm, ns.subjectPrefix);
    feed = new TradeFeed(nc, ns.subjectPrefix);
  });

  afterAll(async () => {
    await svc?.shutdown();
    await jsm.streams.delete(`${ns.id}_MD_TRADES`).catch(() => undefined);
    await admin.query(`DROP SCHEMA IF EXISTS "${ns.schema}" CASCADE`);
    await admin.end();
    await nc.close();
  });

  it('stores every distinct trade exactly once (re-sent copies included) with the exact decimals, candles and stats of the published set', async () => {
    // A backlog published before the service starts, then more while it runs; every 10th trade twice under another message id.
    await feed.publish(Array.from({ length: 6000 }, (_, i) => feedTrade(i, baseTs)), { redundantCopy: (t) => Number(t.id) % 10 === 0 });
    await start();
    await feed.publish(Array.from({ length: 2000 }, (_, i) => feedTrade(6000 + i, baseTs)), { redundantCopy: (t) => Number(t.id) % 10 === 0 });
    expect(feed.messages).toBe(8800);

    await waitFor(async () => (await rowCount()) >= feed.published.size, 60_000, 200);
    const rows = await admin.query(`SELECT venue, symbol, trade_id, price::text AS price, size::text AS size, side,
       (extract(epoch FROM ts) * 1000)::bigint AS ts, (extract(epoch FROM recv_ts) * 1000000)::bigint AS recv FROM "${ns.schema}".trades`);
    expect(rows.rowCount).toBe(8000);
    const stored = new Map(rows.rows.map((r) => [tradeKey({ venue: r.venue, symbol: r.symbol, id: r.trade_id }), r]));
    expect(stored.size).toBe(8000);
    for (const [key, t] of feed.published) {
      expect(stored.get(key)).toEqual({ venue: t.venue, symbol: t.symbol, trade_id: t.id, price: t.price, size: t.size, side: t.side, ts: String(t.ts), recv: String(t.recvTs) });
    }

    // Every stream message acknowledged: the lag drops to 0 and the checkpoint reaches the stream's last sequence.
    const last = (await jsm.streams.info(`${ns.id}_MD_TRADES`)).state.last_seq;
    const stats = await waitFor(async () => {
      const s = await get('/v1/stats');
      return s.body.lag === 0 ? s : undefined;
    }, 20_000);
    const oracle = (venue: string, symbol: string) => [...feed.published.values()].filter((t) => t.venue === venue && t.symbol === symbol);
    const btc = oracle('binance', 'BTC-USDT');
    const eth = oracle('okx', 'ETH-USDT');
    expect(stats.body.items).toEqual([
      { venue: 'binance', symbol: 'BTC-USDT', count: btc.length, firstTs: Math.min(...btc.map((t) => t.ts)), lastTs: Math.max(...btc.map((t) => t.ts)) },
      { venue: 'okx', symbol: 'ETH-USDT', count: eth.length, firstTs: Math.min(...eth.map((t) => t.ts)), lastTs: Math.max(...eth.map((t) => t.ts)) },
    ]);
    const cp = await admin.query(`SELECT last_stream_seq FROM "${ns.schema}".ingest_checkpoints`);
    expect(cp.rows).toEqual([{ last_stream_seq: String(last) }]);

    const candles = await get(`/v1/candles/binance/BTC-USDT?interval=1m&from=${baseTs}&to=${baseTs + 3_600_000}`);
    expect(candles.status).toBe(200);
    expect(
      candles.body.items.map((c: any) => ({ ts: c.ts, open: Number(c.open), high: Number(c.high), low: Number(c.low), close: Number(c.close), volume: Math.round(Number(c.volume) * 10_000), trades: c.trades })),
    ).toEqual(oracleCandles(btc));

    const latest = await get('/v1/trades/okx/ETH-USDT/latest');
    const newest = eth.reduce((a, b) => (b.ts > a.ts ? b : a));
    expect(latest.body.item).toEqual({ id: newest.id, price: newest.price, size: newest.size, side: newest.side, ts: newest.ts, recvTs: newest.recvTs });
  });

  it('pages through a time range with the cursor (each trade once, in time order), over HTTP and db.trades alike', async () => {
    const from = baseTs + 1000;
    const to = baseTs + 5000;
    const expected = [...feed.published.values()].filter((t) => t.venue === 'binance' && t.ts >= from && t.ts < to).sort((a, b) => a.ts - b.ts).map((t) => t.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await get(`/v1/trades/binance/BTC-USDT?from=${from}&to=${new Date(to).toISOString()}&limit=700${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((t: { id: string }) => t.id));
      cursor = page.body.next;
      pages++;
    } while (cursor && pages < 20);
    expect(seen).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 700));

    const params = { venue: 'binance', symbol: 'BTC-USDT', from, to, limit: 5 };
    const plain = (await nc.request(`${ns.subjectPrefix}db.trades`, JSON.stringify(params), { timeout: 5000 })).json<any>();
    expect(plain.items.map((t: { id: string }) => t.id)).toEqual(expected.slice(0, 5));
    const nest = (await nc.request(`${ns.subjectPrefix}db.trades`, JSON.stringify({ pattern: 'db.trades', data: params, id: 'r1' }), { timeout: 5000 })).json<any>();
    expect(nest).toMatchObject({ id: 'r1', response: plain });
    const stats = (await nc.request(`${ns.subjectPrefix}db.stats`, '{}', { timeout: 5000 })).json<any>();
    expect(stats.items).toHaveLength(2);
  });

  it('refuses bad input with 400 naming the parameter, over HTTP and NATS', async () => {
    const cases: [string, string][] = [
      ['/v1/trades/nyse/BTC-USDT', 'venue'],
      ['/v1/trades/binance/btc', 'symbol'],
      ['/v1/trades/binance/BTC-USDT?limit=-1', 'limit'],
      ['/v1/trades/binance/BTC-USDT?from=tomorrow', 'from'],
      ['/v1/trades/binance/BTC-USDT?cursor=abc', 'cursor'],
      ['/v1/trades/binance/BTC-USDT?sort=desc', 'sort'],
      ['/v1/candles/binance/BTC-USDT?interval=2m', 'interval'],
    ];
    for (const [path, parameter] of cases) {
      const r = await get(path);
      expect({ path, status: r.status, parameter: r.body.parameter }).toEqual({ path, status: 400, parameter });
      expect(r.body.message).toMatch(new RegExp(`^${parameter}: `));
    }
    const reply = (await nc.request(`${ns.subjectPrefix}db.candles`, JSON.stringify({ venue: 'binance', symbol: 'BTC-USDT', interval: 'x' }), { timeout: 5000 })).json<any>();
    expect(reply.error).toMatchObject({ statusCode: 400, parameter: 'interval' });
    const notJson = (await nc.request(`${ns.subjectPrefix}db.latest`, 'hello', { timeout: 5000 })).json<any>();
    expect(notJson.error).toMatchObject({ statusCode: 400 });
    expect((await get('/v1/trades/bybit/BTC-USDT/latest')).status).toBe(404);
  });

  it('a full redelivery of the stream (consumer recreated) changes nothing: trades, candles, counts identical', async () => {
    const snapshot = async () =>
      (
        await admin.query(`SELECT
          (SELECT count(*) FROM "${ns.schema}".trades) AS trades,
          (SELECT json_agg(c ORDER BY venue, symbol, bucket) FROM "${ns.schema}".candles_1m c) AS candles,
          (SELECT json_agg(json_build_array(venue, symbol, trade_count, first_ts, last_ts) ORDER BY venue, symbol) FROM "${ns.schema}".instruments) AS instruments`)
      ).rows[0];
    const before = await snapshot();
    await svc?.shutdown();
    svc = undefined;
    await jsm.consumers.delete(`${ns.id}_MD_TRADES`, 'db-proxy');
    await start();
    // Every message is delivered again (8800), all of them duplicates now.
    await waitFor(async () => {
      const r = await admin.query(`SELECT trades_received FROM "${ns.schema}".ingest_checkpoints`);
      return Number(r.rows[0]?.trades_received) >= 2 * feed.messages;
    }, 60_000, 200);
    expect(await snapshot()).toEqual(before);
  });
});
