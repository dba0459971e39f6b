import { INFRA, testNamespace, waitFor } from '@cryptoscalp/testing';

import type { NatsConnection } from 'nats';

import { type CacheUnderTest, natsClient, publishJson, startCache } from '../../testing/cache-harness';
import { FastReadsService } from './fast-reads.service';

/** `cs_http_request_duration_seconds_count` of one route and status code. */
function requestCount(metricsText: string, route: string, code: number): number {
  const line = metricsText
    .split('\n')
    .find(
      (l) =>
        l.startsWith('cs_http_request_duration_seconds_count{') &&
        l.includes('method="GET"') &&
        l.includes(`route="${route}"`) &&
        l.includes(`code="${code}"`),
    );
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

const HEADERS = ['content-type', 'content-length', 'cache-control', 'x-cache-stale', 'x-book-stale'];

describe('fast path for the hot read routes (real NATS and Redis, in process)', () => {
  const ns = testNamespace('cfast');
  const P = ns.subjectPrefix;
  let cache: CacheUnderTest;
  let nc: NatsConnection;
  let handled: jest.SpyInstance<boolean>;

  beforeAll(async () => {
    cache = await startCache({
      NATS_URL: INFRA.natsUrl,
      REDIS_URL: INFRA.redisUrl,
      NATS_SUBJECT_PREFIX: P,
      REDIS_KEY_PREFIX: ns.keyPrefix,
      INSTANCE_ID: `${ns.id}-a`,
      CACHE_BOOK_DEPTH: '10',
      CACHE_FLUSH_MS: '5',
    });
    nc = await natsClient(INFRA.natsUrl);
    handled = jest.spyOn(cache.svc.app.get(FastReadsService).router, 'handle');
    await waitFor(async () => (await cache.get('/health/readiness')).status === 200, 20_000);
  });

  afterAll(async () => {
    await nc?.close();
    await cache?.stop();
  });

  /** The same request answered by the fast path and by Nest (a trailing slash: Express matches it, the fast path does not). */
  async function bothWays(path: string) {
    const [p, q] = path.split('?');
    handled.mockClear();
    const fast = await cache.get(path);
    const nest = await cache.get(`${p}/${q === undefined ? '' : `?${q}`}`);
    expect(handled.mock.results.map((r) => r.value as boolean)).toEqual([true, false]);
    const headers = (h: Headers) => Object.fromEntries(HEADERS.map((n) => [n, h.get(n)]));
    return { fast: { status: fast.status, body: fast.body, headers: headers(fast.headers) }, nest: { status: nest.status, body: nest.body, headers: headers(nest.headers) } };
  }

  it('answers l1, book, bbo and kv reads exactly as the Nest handlers do: status, body, headers, errors', async () => {
    const ts = Date.now();
    publishJson(nc, `${P}md.l1.okx.SOL-USDT`, { v: 1, venue: 'okx', symbol: 'SOL-USDT', bidPx: '150.1', bidSz: '3', askPx: '150.2', askSz: '4', seq: 5, ts, recvTs: ts * 1000 });
    const l2 = { v: 1, venue: 'okx', symbol: 'SOL-USDT', ts, recvTs: 1 };
    publishJson(nc, `${P}md.l2.okx.SOL-USDT`, { ...l2, snapshot: true, seq: 1, bids: [['150.1', '1'], ['150', '2']], asks: [['150.2', '1'], ['150.3', '2']] });
    publishJson(nc, `${P}md.status.okx.SOL-USDT`, { v: 1, venue: 'okx', symbol: 'SOL-USDT', state: 'gap', reason: 'test', ts });
    expect((await cache.send('PUT', '/v1/kv/sess%20ions/k', { value: 'v' })).status).toBe(400); // namespace with a space: Nest, 400
    expect((await cache.send('PUT', '/v1/kv/sessions/a%3Ab', { value: 'hello' })).status).toBe(200);
    await waitFor(async () => (await cache.get('/v1/book/okx/SOL-USDT')).headers.get('x-book-stale') === 'gap');

    const l1 = await bothWays('/v1/l1/okx/SOL-USDT');
    expect(l1.fast).toEqual(l1.nest);
    // Independent oracle: the message published above, without `v`.
    expect(l1.fast.body).toEqual({ venue: 'okx', symbol: 'SOL-USDT', bidPx: '150.1', bidSz: '3', askPx: '150.2', askSz: '4', seq: 5, ts, recvTs: ts * 1000 });
    expect(l1.fast.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });

    const book = await bothWays('/v1/book/okx/SOL-USDT?depth=1');
    expect(book.fast).toEqual(book.nest);
    expect(book.fast.body).toEqual({ venue: 'okx', symbol: 'SOL-USDT', seq: 1, bids: [['150.1', '1']], asks: [['150.2', '1']] });
    expect(book.fast.headers['x-book-stale']).toBe('gap');

    const bbo = await bothWays('/v1/bbo/SOL-USDT');
    expect(bbo.fast).toEqual({ ...bbo.nest, body: { ...bbo.nest.body, ts: bbo.fast.body.ts } }); // computed at write time
    expect(bbo.fast.body.bid).toMatchObject({ venue: 'okx', px: '150.1' });

    const kv = await bothWays('/v1/kv/sessions/a%3Ab');
    expect(kv.fast).toEqual(kv.nest);
    expect(kv.fast.body).toEqual({ namespace: 'sessions', key: 'a:b', value: 'hello' });

    for (const path of [
      '/v1/l1/nyse/SOL-USDT',
      '/v1/l1/okx/sol',
      '/v1/book/okx/SOL-USDT?depth=0',
      '/v1/book/okx/SOL-USDT?depth=1&depth=2',
      '/v1/book/okx/NOPE-USDT',
      '/v1/bbo/NOPE-USDT',
      '/v1/kv/sessions/missing',
      '/v1/kv/bad!ns/k',
    ]) {
      const r = await bothWays(path);
      expect([path, r.fast]).toEqual([path, r.nest]);
      expect([path, r.fast.status]).toEqual([path, expect.any(Number)]);
      expect(r.fast.status === 400 || r.fast.status === 404).toBe(true);
      expect(r.fast.body).toEqual({ status: r.fast.status, error: expect.any(String) });
    }
  });

  it('leaves everything else to Nest: other methods, routes, a bad escape, CORS requests', async () => {
    handled.mockClear();
    await cache.get('/v1/trades/okx/SOL-USDT');
    await cache.get('/v1/kv/sessions?keys=a');
    await cache.get('/v1/l1/okx/%E0%A4%A');
    await fetch(`${cache.url}/v1/l1/okx/SOL-USDT`, { headers: { origin: 'http://example.test' } });
    expect((await cache.send('DELETE', '/v1/kv/sessions/zzz')).status).toBe(200);
    expect(handled.mock.results.map((r) => r.value as boolean)).toEqual([false, false, false, false, false]);
  });

  it('records its requests in cs_http_request_duration_seconds under the Nest route, with the status code sent', async () => {
    const before = (await cache.get('/metrics')).body as string;
    for (let i = 0; i < 7; i++) expect((await cache.get('/v1/l1/okx/SOL-USDT')).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await cache.get('/v1/l1/okx/NONE-USDT')).status).toBe(404);
    expect((await cache.get('/v1/book/okx/SOL-USDT?depth=99')).status).toBe(400);
    const after = (await cache.get('/metrics')).body as string;
    const delta = (route: string, code: number) => requestCount(after, route, code) - requestCount(before, route, code);
    expect(delta('/v1/l1/:venue/:symbol', 200)).toBe(7);
    expect(delta('/v1/l1/:venue/:symbol', 404)).toBe(3);
    expect(delta('/v1/book/:venue/:symbol', 400)).toBe(1);
    // Nest's handlers (here through a trailing slash) record the same series, with the code sent.
    expect((await cache.get('/v1/l1/okx/NONE-USDT/')).status).toBe(404);
    const nest = (await cache.get('/metrics')).body as string;
    expect(requestCount(nest, '/v1/l1/:venue/:symbol', 404) - requestCount(after, '/v1/l1/:venue/:symbol', 404)).toBe(1);
  });
});
