import { INFRA, testNamespace, waitFor } from '@cryptoscalp/testing';

import type { NatsConnection } from 'nats';

import { type CacheUnderTest, natsClient, publishJson, requestJson, startCache } from '../testing/cache-harness';

type Level = [string, string];

/** Independent oracle: applies the same v1 L2 messages with plain objects, sorts only when read. */
function referenceBook(messages: { snapshot: boolean; bids: Level[]; asks: Level[] }[], depth: number) {
  let bids: Record<string, string> = {};
  let asks: Record<string, string> = {};
  for (const m of messages) {
    if (m.snapshot) {
      bids = {};
      asks = {};
    }
    for (const [p, s] of m.bids)
      if (parseFloat(s) === 0) delete bids[p];
      else bids[p] = s;
    for (const [p, s] of m.asks)
      if (parseFloat(s) === 0) delete asks[p];
      else asks[p] = s;
  }
  return {
    bids: Object.entries(bids)
      .sort((a, b) => parseFloat(b[0]) - parseFloat(a[0]))
      .slice(0, depth),
    asks: Object.entries(asks)
      .sort((a, b) => parseFloat(a[0]) - parseFloat(b[0]))
      .slice(0, depth),
  };
}

describe('cache-service API (real NATS and Redis, in process)', () => {
  const ns = testNamespace('capi');
  const P = ns.subjectPrefix;
  let cache: CacheUnderTest;
  let nc: NatsConnection;

  beforeAll(async () => {
    cache = await startCache({
      NATS_URL: INFRA.natsUrl,
      REDIS_URL: INFRA.redisUrl,
      NATS_SUBJECT_PREFIX: P,
      REDIS_KEY_PREFIX: ns.keyPrefix,
      INSTANCE_ID: `${ns.id}-a`,
      CACHE_BOOK_DEPTH: '10',
      CACHE_FLUSH_MS: '5',
      CACHE_KV_NAMESPACES: 'sessions=lfu:100,rates=ttl:100:60000',
    });
    nc = await natsClient(INFRA.natsUrl);
    await waitFor(async () => (await cache.get('/health/readiness')).status === 200, 20_000);
  });

  afterAll(async () => {
    await nc?.close();
    await cache?.stop();
  });

  it('keeps the top-N book equal to a naive reference applying the same snapshot and deltas, best first, exact shape', async () => {
    const messages: { snapshot: boolean; bids: Level[]; asks: Level[]; seq: number }[] = [];
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const level = (side: 1 | -1): Level => [
      (60_000 + side * (1 + Math.floor(rand() * 40)) * 0.1).toFixed(1),
      rand() < 0.3 ? '0' : rand().toFixed(5),
    ];
    for (let seq = 1; seq <= 400; seq++) {
      const snapshot = seq === 1 || seq === 200;
      const n = snapshot ? 30 : 3;
      messages.push({ snapshot, seq, bids: Array.from({ length: n }, () => level(-1)), asks: Array.from({ length: n }, () => level(1)) });
    }
    for (const m of messages) {
      publishJson(nc, `${P}md.l2.binance.BTC-USDT`, {
        v: 1,
        venue: 'binance',
        symbol: 'BTC-USDT',
        ...m,
        ...(m.snapshot ? {} : { prevSeq: m.seq - 1 }),
        ts: Date.now(),
        recvTs: Date.now() * 1000,
      });
    }
    await nc.flush();
    const res = await waitFor(async () => {
      const r = await cache.get('/v1/book/binance/BTC-USDT');
      return r.status === 200 && r.body.seq === 400 && r;
    });
    const want = referenceBook(messages, 10);
    expect(Object.keys(res.body)).toEqual(['venue', 'symbol', 'seq', 'bids', 'asks']);
    expect(res.body).toEqual({ venue: 'binance', symbol: 'BTC-USDT', seq: 400, bids: want.bids, asks: want.asks });
    const three = await cache.get('/v1/book/binance/BTC-USDT?depth=3');
    expect(three.body.bids).toEqual(want.bids.slice(0, 3));
    expect(three.body.asks).toEqual(want.asks.slice(0, 3));
    // the same query over NATS request-reply
    const reply = await requestJson(nc, `${P}cache.book`, { venue: 'binance', symbol: 'BTC-USDT', depth: 3 });
    expect(reply).toEqual({ status: 200, data: three.body });
  });

  it('marks a book stale on a gap status until the next snapshot', async () => {
    const base = { v: 1, venue: 'kraken', symbol: 'ETH-USDT', ts: Date.now(), recvTs: 1 };
    publishJson(nc, `${P}md.l2.kraken.ETH-USDT`, { ...base, snapshot: true, seq: 1, bids: [['3000.1', '1']], asks: [['3000.2', '1']] });
    await waitFor(async () => (await cache.get('/v1/book/kraken/ETH-USDT')).status === 200);
    publishJson(nc, `${P}md.status.kraken.ETH-USDT`, {
      v: 1,
      venue: 'kraken',
      symbol: 'ETH-USDT',
      state: 'gap',
      reason: 'test',
      ts: Date.now(),
    });
    const stale = await waitFor(async () => {
      const r = await cache.get('/v1/book/kraken/ETH-USDT');
      return r.headers.get('x-book-stale') === 'gap' && r;
    });
    expect(stale.body.bids).toEqual([['3000.1', '1']]);
    expect((await requestJson(nc, `${P}cache.book`, { venue: 'kraken', symbol: 'ETH-USDT' })).bookStale).toBe('gap');
    publishJson(nc, `${P}md.l2.kraken.ETH-USDT`, { ...base, snapshot: true, seq: 9, bids: [['2999', '2']], asks: [['3001', '2']] });
    const fresh = await waitFor(async () => {
      const r = await cache.get('/v1/book/kraken/ETH-USDT');
      return r.body.seq === 9 && r;
    });
    expect(fresh.headers.get('x-book-stale')).toBeNull();
    expect(fresh.body.bids).toEqual([['2999', '2']]);
  });

  it('serves L1, recent trades (newest first), 1 s candles computed by hand, feed status and the cross-venue BBO', async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 10_000;
    publishJson(nc, `${P}md.l1.okx.SOL-USDT`, {
      v: 1,
      venue: 'okx',
      symbol: 'SOL-USDT',
      bidPx: '150.10',
      bidSz: '3',
      askPx: '150.20',
      askSz: '4',
      seq: 5,
      ts: Date.now(),
      recvTs: 1,
    });
    publishJson(nc, `${P}md.l1.bybit.SOL-USDT`, {
      v: 1,
      venue: 'bybit',
      symbol: 'SOL-USDT',
      bidPx: '150.15',
      bidSz: '1',
      askPx: '150.25',
      askSz: '2',
      ts: Date.now(),
      recvTs: 1,
    });
    const trades = [
      ['1', '150.0', '1.5', t0 + 100],
      ['2', '151.0', '0.5', t0 + 200],
      ['3', '149.5', '2', t0 + 900],
      ['4', '152.0', '1', t0 + 1100],
    ] as const;
    for (const [id, price, size, ts] of trades) {
      publishJson(nc, `${P}md.trade.okx.SOL-USDT`, { v: 1, venue: 'okx', symbol: 'SOL-USDT', id, price, size, side: 'buy', ts, recvTs: 1 });
    }
    publishJson(nc, `${P}md.status.okx.SOL-USDT`, {
      v: 1,
      venue: 'okx',
      symbol: 'SOL-USDT',
      state: 'connected',
      reason: 'subscribed',
      ts: 1,
    });
    await nc.flush();

    const l1 = await waitFor(async () => (await cache.get('/v1/l1/okx/SOL-USDT')).body?.seq === 5 && cache.get('/v1/l1/okx/SOL-USDT'));
    expect(l1.body).toEqual({
      venue: 'okx',
      symbol: 'SOL-USDT',
      bidPx: '150.10',
      bidSz: '3',
      askPx: '150.20',
      askSz: '4',
      seq: 5,
      ts: expect.any(Number),
      recvTs: 1,
    });

    const tr = await waitFor(async () => {
      const r = await cache.get('/v1/trades/okx/SOL-USDT?limit=3');
      return r.status === 200 && r.body.trades.length === 3 && r;
    });
    expect(tr.body.trades.map((t: { id: string }) => t.id)).toEqual(['4', '3', '2']);

    const candles = await waitFor(async () => {
      const r = await cache.get('/v1/candles/okx/SOL-USDT?interval=1s&limit=5');
      return r.status === 200 && r.body.candles.length === 2 && r.body.candles[1].n === 1 && r;
    });
    expect(candles.body.candles).toEqual([
      { t: t0, o: '150.0', h: '151.0', l: '149.5', c: '149.5', v: '4', n: 3 },
      { t: t0 + 1000, o: '152.0', h: '152.0', l: '152.0', c: '152.0', v: '1', n: 1 },
    ]);
    const m1 = await cache.get('/v1/candles/okx/SOL-USDT?interval=1m');
    expect(m1.body.candles.at(-1)).toMatchObject({ h: '152.0', l: '149.5', v: '5', n: 4 });

    expect((await waitFor(() => cache.get('/v1/status/okx/SOL-USDT').then((r) => r.status === 200 && r))).body).toMatchObject({
      state: 'connected',
    });

    const bbo = await waitFor(async () => {
      const r = await cache.get('/v1/bbo/SOL-USDT');
      return r.status === 200 && r.body.venues === 2 && r;
    });
    expect(bbo.body).toMatchObject({
      symbol: 'SOL-USDT',
      bid: { venue: 'bybit', px: '150.15', sz: '1' },
      ask: { venue: 'okx', px: '150.20', sz: '4' },
    });
    expect((await requestJson(nc, `${P}cache.bbo`, { symbol: 'SOL-USDT' })).data).toMatchObject({ bid: { venue: 'bybit' } });
    expect((await requestJson(nc, `${P}cache.trades`, { venue: 'okx', symbol: 'SOL-USDT', limit: 1 })).data.trades[0].id).toBe('4');
  });

  it.each([
    ['/v1/l1/nasdaq/BTC-USDT', 'venue'],
    ['/v1/l1/binance/btcusdt', 'symbol'],
    ['/v1/book/binance/BTC-USDT?depth=0', 'depth'],
    ['/v1/book/binance/BTC-USDT?depth=11', 'depth'],
    ['/v1/book/binance/BTC-USDT?depth=abc', 'depth'],
    ['/v1/book/binance/BTC-USDT?depth=1&depth=2', 'depth'],
    ['/v1/trades/binance/BTC-USDT?limit=100000', 'limit'],
    ['/v1/candles/binance/BTC-USDT?interval=5m', 'interval'],
    ['/v1/bbo/BTC.USDT', 'symbol'],
    ['/v1/kv/bad%20ns/key', 'namespace'],
  ])('GET %s answers 400 naming %s', async (path, param) => {
    const r = await cache.get(path);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(new RegExp(`^${param}:`));
  });

  it('answers 404 when there is no data yet, over HTTP and NATS, and 400 for a request that is not JSON', async () => {
    for (const path of [
      '/v1/l1/bybit/NOPE-USDT',
      '/v1/book/bybit/NOPE-USDT',
      '/v1/trades/bybit/NOPE-USDT',
      '/v1/candles/bybit/NOPE-USDT',
      '/v1/bbo/NOPE-USDT',
      '/v1/kv/x/missing',
    ]) {
      expect([path, (await cache.get(path)).status]).toEqual([path, 404]);
    }
    expect(await requestJson(nc, `${P}cache.l1`, { venue: 'bybit', symbol: 'NOPE-USDT' })).toMatchObject({ status: 404 });
    expect(await requestJson(nc, `${P}cache.l1`, 'hello')).toMatchObject({ status: 400 });
    expect(await requestJson(nc, `${P}cache.l1`, { venue: 'x' })).toEqual({ status: 400, error: expect.stringMatching(/^venue:/) });
  });

  it('answers a malformed or oversized request body with a 4xx, never a 500', async () => {
    const put = (body: string) =>
      fetch(`${cache.url}/v1/kv/sessions/x`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
    expect((await put('{"value": ')).status).toBe(400);
    expect((await put(JSON.stringify({ value: 'x'.repeat(2_000_000) }))).status).toBe(413);
    expect((await put('[1,2]')).status).toBe(400);
  });

  it('drops malformed market data (counted) and keeps serving', async () => {
    publishJson(nc, `${P}md.l1.binance.BTC-USDT`, 'hello');
    publishJson(nc, `${P}md.l1.binance.BTC-USDT`, {
      v: 1,
      venue: 'binance',
      symbol: 'BTC-USDT',
      bidPx: 1, // a number, not a decimal string
      bidSz: '1',
      askPx: '2',
      askSz: '1',
      ts: 1,
      recvTs: 1,
    });
    publishJson(nc, `${P}md.weird.binance.BTC-USDT`, { v: 1 });
    await nc.flush();
    const metrics = await waitFor(async () => {
      const text = (await cache.get('/metrics')).body as string;
      const m = /cs_nats_messages_dropped_total\{[^}]*subject_group="md\.>"[^}]*reason="invalid"[^}]*\} (\d+)/.exec(text);
      return m && Number(m[1]) >= 3 && text;
    });
    expect(metrics).toMatch(/cs_cache_conflation_ratio/);
    expect((await cache.get('/health/liveness')).status).toBe(200);
  });

  it('generic KV: set with TTL, get, mget, del, per-namespace near cache and statistics; the same over NATS', async () => {
    expect((await cache.send('PUT', '/v1/kv/sessions/u1', { value: 'alice' })).status).toBe(200);
    expect((await cache.send('PUT', '/v1/kv/sessions/u2', { value: 'bob', ttlMs: 60_000 })).status).toBe(200);
    expect((await cache.get('/v1/kv/sessions/u1')).body).toEqual({ namespace: 'sessions', key: 'u1', value: 'alice' });
    expect((await cache.get('/v1/kv/sessions?keys=u1,u2,u3')).body.values).toEqual({ u1: 'alice', u2: 'bob', u3: null });
    expect((await cache.send('PUT', '/v1/kv/sessions/u3', { value: 42 })).status).toBe(400);
    expect((await cache.send('DELETE', '/v1/kv/sessions/u1')).body).toMatchObject({ deleted: true });
    expect((await cache.get('/v1/kv/sessions/u1')).status).toBe(404);

    await cache.send('PUT', '/v1/kv/rates/short', { value: 'v', ttlMs: 300 });
    await waitFor(async () => (await cache.get('/v1/kv/rates/short')).status === 404, 5000);

    expect(await requestJson(nc, `${P}cache.kv.set`, { namespace: 'rates', key: 'eur', value: '1.08' })).toMatchObject({ status: 200 });
    expect((await requestJson(nc, `${P}cache.kv.get`, { namespace: 'rates', key: 'eur' })).data.value).toBe('1.08');
    expect((await requestJson(nc, `${P}cache.kv.mget`, { namespace: 'rates', keys: ['eur', 'usd'] })).data.values).toEqual({
      eur: '1.08',
      usd: null,
    });
    expect(await requestJson(nc, `${P}cache.kv.del`, { namespace: 'rates', key: 'eur' })).toMatchObject({
      status: 200,
      data: { deleted: true },
    });

    const stats = (await cache.get('/v1/kv-stats')).body;
    expect(stats.sessions).toMatchObject({ strategy: { kind: 'lfu', max: 100 } });
    expect(stats.sessions.hits).toBeGreaterThanOrEqual(1);
    expect(stats.rates.strategy).toEqual({ kind: 'ttl', max: 100, ttlMs: 60_000 });
  });
});
