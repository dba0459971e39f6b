import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { RestError } from './rest.types';
import { HttpRestClient, WeightLimiter } from './rest-client';

/** A fake clock: `sleep` advances it instead of waiting, so the limiter's decisions are exact. */
function fakeClock() {
  let t = 1_000_000;
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      slept.push(ms);
      t += ms;
    },
    slept,
    advance: (ms: number) => (t += ms),
  };
}

describe('WeightLimiter', () => {
  it('lets a minute of weight through at once, then waits until the oldest request is a minute old', async () => {
    const c = fakeClock();
    const l = new WeightLimiter(100, c.now, undefined, c.sleep);
    for (let i = 0; i < 4; i++) expect(await l.acquire(25)).toBe(0);
    const start = c.now();
    await l.acquire(25);
    // The first request (at `start`) leaves the sliding minute at start + 60 s.
    expect(c.now() - start).toBe(60_000);
    expect(l.waits).toBe(1);
  });

  it('caps requests per second in addition to the weight (Coinbase: 10/s)', async () => {
    const c = fakeClock();
    const l = new WeightLimiter(10_000, c.now, 10, c.sleep);
    const times: number[] = [];
    for (let i = 0; i < 25; i++) {
      await l.acquire(1);
      times.push(c.now());
    }
    // In any window of one second, at most 10 requests start.
    for (let i = 10; i < times.length; i++) expect((times[i] as number) - (times[i - 10] as number)).toBeGreaterThanOrEqual(1000);
    // …and it is a cap, not a slowdown: 10 leave at once, the 25th after two seconds.
    expect((times[9] as number) - (times[0] as number)).toBe(0);
    expect((times[24] as number) - (times[0] as number)).toBe(2000);
  });

  it('holds every request while banned (429/418 Retry-After), then serves them in order', async () => {
    const c = fakeClock();
    const l = new WeightLimiter(1000, c.now, undefined, c.sleep);
    const t0 = c.now();
    l.block(3000);
    expect(l.bannedUntil).toBe(t0 + 3000);
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((n) => l.acquire(1).then(() => order.push(n))));
    expect(order).toEqual([1, 2, 3]);
    expect(c.now() - t0).toBeGreaterThanOrEqual(3000);
    expect(l.blocks).toBe(1);
  });

  it('believes the server when it counts more weight than we did', async () => {
    const c = fakeClock();
    const l = new WeightLimiter(100, c.now, undefined, c.sleep);
    await l.acquire(10);
    l.observeUsed(95);
    expect(l.used).toBe(95);
    const before = c.now();
    await l.acquire(10);
    expect(c.now() - before).toBe(60_000);
  });
});

describe('HttpRestClient', () => {
  let server: Server;
  let base: string;
  const answers: { status: number; headers?: Record<string, string>; body: string }[] = [];
  const seen: number[] = [];

  beforeAll(async () => {
    server = createServer((_req, res) => {
      seen.push(Date.now());
      const a = answers.shift() ?? { status: 200, body: '{"ok":true}' };
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(a.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('on 429 honours Retry-After: the next request leaves only after it, and the error says so', async () => {
    const limiter = new WeightLimiter(1000);
    const blocked: number[] = [];
    const client = new HttpRestClient(limiter, { onBlocked: (status) => blocked.push(status) });
    answers.push({ status: 429, headers: { 'retry-after': '1' }, body: '{"code":-1003}' });
    const err = await client.getJson({ url: `${base}/api/v3/depth`, purpose: 'snapshot' }).catch((e: RestError) => e);
    expect(err).toBeInstanceOf(RestError);
    expect((err as RestError).status).toBe(429);
    expect((err as RestError).message).toContain('1000 ms');
    const first = seen.at(-1) as number;
    expect(await client.getJson({ url: `${base}/api/v3/depth`, purpose: 'snapshot' })).toEqual({ ok: true });
    expect((seen.at(-1) as number) - first).toBeGreaterThanOrEqual(950);
    expect(blocked).toEqual([429]);
  });

  it('on 418 without Retry-After holds requests for two minutes (never hammers a ban)', async () => {
    const limiter = new WeightLimiter(1000);
    const client = new HttpRestClient(limiter);
    answers.push({ status: 418, body: '{"code":-1003}' });
    const before = Date.now();
    await expect(client.getJson({ url: `${base}/x`, purpose: 'snapshot' })).rejects.toThrow(/418/);
    expect(limiter.bannedUntil - before).toBeGreaterThanOrEqual(119_000);
  });

  it('hands every successful body to onResponse (raw capture)', async () => {
    const got: string[] = [];
    const client = new HttpRestClient(new WeightLimiter(1000), { onResponse: (url, body) => got.push(`${url} ${body}`) });
    answers.push({ status: 200, body: '{"lastUpdateId":7}' });
    await client.getJson({ url: `${base}/d`, purpose: 'snapshot' });
    expect(got).toEqual([`${base}/d {"lastUpdateId":7}`]);
  });

  it('keeps at most maxConcurrent requests in flight; a slow server answers all of them, none times out', async () => {
    let inServer = 0;
    let maxInServer = 0;
    const slow = createServer((req, res) => {
      inServer++;
      maxInServer = Math.max(maxInServer, inServer);
      // The server works one request at a time, 20 ms each (the simulator under load).
      setTimeout(() => {
        inServer--;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ path: req.url }));
      }, 20 * inServer);
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
    try {
      // 60 requests at once: all in flight together would need 60 × 20 ms > the 1 s timeout for the last ones.
      const client = new HttpRestClient(new WeightLimiter(100_000), { maxConcurrent: 3, timeoutMs: 1000 });
      const bodies = await Promise.all(Array.from({ length: 60 }, (_, i) => client.getJson<{ path: string }>({ url: `${url}/s${i}`, purpose: 'snapshot' })));
      expect(bodies.map((b) => b.path)).toEqual(Array.from({ length: 60 }, (_, i) => `/s${i}`));
      expect(maxInServer).toBeLessThanOrEqual(3);
      expect(client.maxInFlight).toBe(3);
      expect(client.inFlight).toBe(0);
    } finally {
      await new Promise<void>((r) => slow.close(() => r()));
    }
  });
});
