import { freePort, INFRA, killProcess, REDIS_SERVER_BIN, startPrivateServer, testNamespace, waitFor } from '@cryptoscalp/testing';

import type { ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import type { NatsConnection } from 'nats';

import { type CacheUnderTest, natsClient, publishJson, startCache } from '../../testing/cache-harness';

const startRedis = (port: number) =>
  startPrivateServer(REDIS_SERVER_BIN, ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no']);

const FLUSH_MS = 20;
const SYMBOLS = ['AAA-USDT', 'BBB-USDT', 'CCC-USDT', 'DDD-USDT', 'EEE-USDT', 'FFF-USDT', 'GGG-USDT', 'HHH-USDT'];

/**
 * A private redis-server is killed (SIGKILL, data lost) and restarted while L1, book and trade
 * updates keep arriving. Checked from outside: stale reads from the near cache while it is down,
 * readiness and the write component report it, writes stay bounded and counted, and after the
 * restart every key equals the last update sent (a reference kept by this test).
 */
describe('cache-service through a Redis outage (private redis-server)', () => {
  const ns = testNamespace('rout');
  const P = ns.subjectPrefix;
  let port: number;
  let server: ChildProcess;
  let cache: CacheUnderTest;
  let nc: NatsConnection;
  let raw: Redis;
  let running = true;
  let load: Promise<void> | undefined;
  const lastSeq = new Map<string, number>();
  let seq = 0;

  const sendL1 = (symbol: string) => {
    seq++;
    lastSeq.set(symbol, seq);
    publishJson(nc, `${P}md.l1.binance.${symbol}`, {
      v: 1,
      venue: 'binance',
      symbol,
      bidPx: `${seq}.5`,
      bidSz: '1',
      askPx: `${seq}.6`,
      askSz: '1',
      seq,
      ts: Date.now(),
      recvTs: 1,
    });
  };

  beforeAll(async () => {
    port = await freePort();
    server = startRedis(port);
    cache = await startCache({
      NATS_URL: INFRA.natsUrl,
      REDIS_URL: `redis://127.0.0.1:${port}`,
      NATS_SUBJECT_PREFIX: P,
      REDIS_KEY_PREFIX: ns.keyPrefix,
      INSTANCE_ID: `${ns.id}-a`,
      CACHE_FLUSH_MS: String(FLUSH_MS),
      CACHE_MAX_PENDING_TRADES: '200',
      CACHE_NEAR_MAX_AGE_MS: '100',
    });
    nc = await natsClient(INFRA.natsUrl);
    raw = new Redis(`redis://127.0.0.1:${port}`, {
      keyPrefix: ns.keyPrefix,
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => 100,
    });
    raw.on('error', () => undefined);
    await raw.connect();
    await waitFor(async () => (await cache.get('/health/readiness')).status === 200, 20_000);
    // a book that gets no update after the outage: it must come back anyway
    publishJson(nc, `${P}md.l2.okx.AAA-USDT`, {
      v: 1,
      venue: 'okx',
      symbol: 'AAA-USDT',
      snapshot: true,
      bids: [['10', '1']],
      asks: [['11', '2']],
      seq: 77,
      ts: Date.now(),
      recvTs: 1,
    });
    // load: ~400 L1 updates/s spread over the symbols, until the test ends
    load = (async () => {
      let i = 0;
      while (running) {
        for (let k = 0; k < 4; k++) sendL1(SYMBOLS[i++ % SYMBOLS.length] as string);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
  });

  afterAll(async () => {
    running = false;
    await load;
    await nc?.close();
    await cache?.stop();
    raw?.disconnect();
    if (server) await killProcess(server);
  });

  it('serves stale near-cache reads while Redis is down, then every key is right again after it restarts empty', async () => {
    await waitFor(async () => (await cache.get('/v1/l1/binance/AAA-USDT')).status === 200);
    const before = await cache.get('/v1/l1/binance/AAA-USDT');
    expect(before.headers.get('x-cache-stale')).toBeNull();

    await killProcess(server);
    // readiness names redis; the write component warns; reads come from the near cache, marked stale
    const ready = await waitFor(async () => {
      const r = await cache.get('/health/readiness');
      return r.status === 503 && r;
    });
    expect(JSON.stringify(ready.body.checks['redis:responseTime'])).toMatch(/"status":"fail"/);
    const stale = await waitFor(async () => {
      const r = await cache.get('/v1/l1/binance/AAA-USDT');
      return r.headers.get('x-cache-stale') === 'redis-unavailable' && r;
    });
    expect(stale.status).toBe(200);
    expect(stale.body.symbol).toBe('AAA-USDT');
    // nothing held and Redis down: 503, never 500
    expect((await cache.get('/v1/l1/binance/ZZZ-USDT')).status).toBe(503);
    expect((await cache.get('/v1/trades/binance/AAA-USDT')).status).toBe(503);
    // trades during the outage: bounded (200) and the excess counted
    for (let i = 0; i < 500; i++) {
      publishJson(nc, `${P}md.trade.binance.AAA-USDT`, {
        v: 1,
        venue: 'binance',
        symbol: 'AAA-USDT',
        id: `o${i}`,
        price: '1',
        size: '1',
        side: 'buy',
        ts: Date.now(),
        recvTs: 1,
      });
    }
    const status = await waitFor(async () => {
      const r = await cache.get('/health/status');
      const w = r.body.checks?.['redis-writes:pending']?.[0];
      return w?.status === 'warn' && w.observedValue <= 200 && r;
    });
    expect(status.body.checks['redis-writes:pending'][0].output).toMatch(/writes deferred/);
    const metrics = await waitFor(async () => {
      const text = (await cache.get('/metrics')).body as string;
      const m = /cs_cache_writes_dropped_total\{kind="trade"[^}]*\} (\d+)/.exec(text);
      const opened = /cs_circuit_breaker_transitions_total\{breaker="redis",state="open"[^}]*\} [1-9]/.test(text);
      return m && Number(m[1]) >= 300 && opened && text;
    });
    expect(metrics).toMatch(/cs_cache_redis_connected\{[^}]*\} 0/);
    expect(metrics).toMatch(/cs_circuit_breaker_transitions_total\{breaker="redis",state="open"[^}]*\} [1-9]/);

    server = startRedis(port);
    await waitFor(async () => (await cache.get('/health/readiness')).status === 200, 20_000);
    await waitFor(() => raw.status === 'ready', 10_000);

    // After the next update of each key, every key equals the last update sent (the reference),
    // including the book that got no update since the restart.
    const pending = new Map(lastSeq);
    const t0 = Date.now();
    await waitFor(
      async () => {
        const keys = SYMBOLS.map((s) => `l1:{binance:${s}}`);
        const values = await raw.mget(keys);
        SYMBOLS.forEach((s, i) => {
          const v = values[i];
          if (v && JSON.parse(v).seq >= (pending.get(s) ?? 0)) pending.delete(s);
        });
        return pending.size === 0;
      },
      10_000,
      5,
    );
    const caughtUpMs = Date.now() - t0;
    const book = JSON.parse((await raw.get('book:{okx:AAA-USDT}')) ?? 'null');
    expect(book).toMatchObject({ seq: 77, bids: [['10', '1']], asks: [['11', '2']] });
    // the trades that waited for Redis were written
    expect(await raw.xlen('trades:{binance:AAA-USDT}')).toBeGreaterThan(0);
    // once caught up, the keys keep following the live stream exactly (checked at a quiet moment)
    running = false;
    await load;
    await waitFor(
      async () => {
        const values = await raw.mget(SYMBOLS.map((s) => `l1:{binance:${s}}`));
        return SYMBOLS.every((s, i) => values[i] && JSON.parse(values[i] as string).seq === lastSeq.get(s));
      },
      5000,
      5,
    );
    // "within one flush window of the next update": updates arrive every ~10 ms per 4 symbols, so
    // each symbol's next update is at most ~30 ms away; allow a wide margin for a shared machine.
    expect(caughtUpMs).toBeLessThan(FLUSH_MS + 30 + 2000);
    const after = await cache.get('/v1/l1/binance/AAA-USDT');
    expect(after.headers.get('x-cache-stale')).toBeNull();
    expect(after.body.seq).toBe(lastSeq.get('AAA-USDT'));
  });
});
