import { parseScenario } from './scenario';
import { type Simulator, startSimulator } from './simulator';
import { RecordingClient, until } from './testing/sim-client';

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('faults', () => {
  let sim: Simulator;
  const base = () => sim.endpoints.binance.rest.replace('http', 'ws');
  const ws = () => `${base()}/ws/btcusdt@trade/btcusdt@depth@100ms`;
  beforeAll(async () => {
    sim = await startSimulator({
      controlPort: 0,
      ports: { binance: 0 },
      venues: ['binance'],
      rate: 400,
      seed: 9,
      venueOptions: { maxConnections: 20 },
    });
  });
  afterAll(() => sim.stop());
  afterEach(() => sim.faults.clear());

  it('drop: the connection is cut without a close frame (1006)', async () => {
    const c = await RecordingClient.connect(ws());
    await c.until((f) => f.length > 3);
    await post(`${sim.controlUrl}/api/faults`, { type: 'drop', venue: 'binance' });
    expect(await c.closed()).toBe(1006);
  });

  it('stall: frames are held back for the duration, then sent late and in order (none lost)', async () => {
    const c = await RecordingClient.connect(`${base()}/ws/btcusdt@depth@100ms`);
    await c.until((f) => f.length > 3);
    sim.faults.arm({ type: 'stall', venue: 'binance', durationMs: 1000 });
    const applied = await until(() => sim.faults.history.find((h) => h.type === 'stall'), 5000, 'the stall to apply');
    await c.until((f) => f.filter((x) => x.at > applied.at + 1000).length > 5, 10_000);
    expect(c.closeCode).toBeUndefined();
    // Nothing arrived during the stall…
    expect(c.frames.filter((f) => f.at > applied.at + 50 && f.at < applied.at + 800)).toEqual([]);
    // …and nothing was lost: every diff starts where the previous one ended (Binance U = previous u + 1).
    const diffs = c.json().map((m) => [m['U'] as number, m['u'] as number]);
    const breaks = diffs.filter(([U], i) => i > 0 && U !== (diffs[i - 1] as number[])[1] + 1);
    expect(breaks).toEqual([]);
    // The frames held back went out late: their event time is about a stall older than their arrival.
    const late = c.frames.filter((f) => f.at >= applied.at + 800 && f.at - (JSON.parse(f.text).E as number) > 500);
    expect(late.length).toBeGreaterThan(0);
    c.close();
  });

  it('reorder: a held frame is never lost; with the feed quiet it goes out alone', async () => {
    const c = await RecordingClient.connect(`${base()}/ws/ethusdt@depth@100ms`);
    await c.until((f) => f.length > 3);
    sim.setRate({ venue: 'binance', rate: 0 });
    const market = sim.rates().find((m) => m.venue === 'binance' && m.symbol === 'ETH-USDT') as { seq: number };
    // Quiet: the last batch (sequence `seq`) has arrived.
    await c.until(() => c.json().some((m) => m['u'] === market.seq), 5000);
    sim.faults.arm({ type: 'reorder', venue: 'binance', symbol: 'ETH-USDT' });
    const before = market.seq;
    let seq = before;
    while (seq === before) {
      sim.step('binance', 'ETH-USDT', 1);
      seq = (sim.rates().find((m) => m.venue === 'binance' && m.symbol === 'ETH-USDT') as { seq: number }).seq;
    }
    const held = await c.until(() => c.json().find((m) => m['u'] === seq), 5000);
    expect(held['U']).toBe(before + 1);
    expect(sim.faults.list()).toEqual([]);
    sim.setRate({ venue: 'binance', rate: 400 });
    c.close();
  });

  it('duplicate, reorder, malformed and truncate alter exactly the frames they are armed for', async () => {
    const c = await RecordingClient.connect(`${base()}/ws/btcusdt@depth@100ms`);
    await c.until((f) => f.length > 3);
    sim.faults.arm({ type: 'duplicate', venue: 'binance', count: 2 });
    await c.until(() => sim.faults.list().length === 0);
    sim.faults.arm({ type: 'reorder', venue: 'binance' });
    // The held frame goes out after the next one: wait for that swap before corrupting frames.
    const us = () => c.json().map((m) => m['u'] as number);
    await c.until(() => us().some((u, i, all) => i > 0 && u < (all[i - 1] as number)));
    sim.faults.arm({ type: 'malformed', venue: 'binance' });
    sim.faults.arm({ type: 'truncate', venue: 'binance' });
    await c.until(() => sim.faults.list().length === 0);
    await c.until((f) => f.length > 40);
    const texts = c.frames.map((f) => f.text);
    const bad = texts.filter((t) => {
      try {
        JSON.parse(t);
        return false;
      } catch {
        return true;
      }
    });
    expect(bad).toHaveLength(2);
    const all = us();
    const dups = all.filter((u, i) => all.indexOf(u) !== i);
    expect(dups).toHaveLength(2);
    const backwards = all.filter((u, i) => i > 0 && u < (all[i - 1] as number));
    expect(backwards).toHaveLength(1);
    c.close();
  });

  it('gap: skipped sequence numbers are reported in the ground truth', async () => {
    const c = await RecordingClient.connect(`${base()}/ws/ethusdt@depth@100ms`);
    await c.until((f) => f.length > 3);
    sim.faults.arm({ type: 'gap', venue: 'binance', symbol: 'ETH-USDT', count: 3 });
    await c.until(() => sim.faults.list().length === 0);
    const n = c.frames.length;
    await c.until((f) => f.length > n + 3);
    // A hole is where a diff does not start right after the previous one (U > previous u + 1).
    const diffs = c.json().map((m) => [m['U'] as number, m['u'] as number] as const);
    const holes = diffs.flatMap(([U], i) => {
      const prev = i > 0 ? (diffs[i - 1] as readonly number[])[1] : undefined;
      return prev !== undefined && U !== prev + 1 ? [[prev + 1, U - 1]] : [];
    });
    const truth = (await (await fetch(`${sim.controlUrl}/api/ground-truth`)).json()) as any;
    expect(truth.venues.binance['ETH-USDT'].skipped).toEqual(holes);
    expect(holes[0][1] - holes[0][0] + 1).toBe(3);
    c.close();
  });

  it('server_close: the venue notice, data until the grace period (1 s by default) ends, then close 1001', async () => {
    const c = await RecordingClient.connect(ws());
    await c.until((f) => f.length > 2);
    sim.faults.arm({ type: 'server_close', venue: 'binance' });
    const notice = await c.until((f) => f.find((x) => x.text.includes('"e":"serverShutdown"')));
    expect(await c.closed()).toBe(1001);
    const closedAt = Date.now();
    expect(closedAt - notice.at).toBeGreaterThanOrEqual(800);
    expect(c.frames.filter((f) => f.at > notice.at).length).toBeGreaterThan(0);
  });

  it('refuse_subscribe and connection_limit', async () => {
    sim.faults.arm({ type: 'refuse_subscribe', venue: 'binance' });
    const c = await RecordingClient.connect(sim.endpoints.binance.ws);
    c.send({ method: 'SUBSCRIBE', params: ['btcusdt@trade'], id: 7 });
    expect(await c.until(() => c.json().find((m) => m['id'] === 7))).toMatchObject({
      error: { code: 2, msg: 'Invalid request: subscription refused' },
    });
    c.close();
    sim.faults.arm({ type: 'connection_limit', venue: 'binance' });
    const refused = await RecordingClient.connect(ws());
    expect(await refused.closed()).toBe(1008);
    expect(refused.closeReason).toBe('connection limit exceeded');
  });

  it('REST: 429 and 418 with Retry-After, and slow responses', async () => {
    const depth = `${sim.endpoints.binance.rest}/api/v3/depth?symbol=BTCUSDT&limit=10`;
    sim.faults.arm({ type: 'rest_429', venue: 'binance', retryAfterSec: 7 });
    let res = await fetch(depth);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    sim.faults.arm({ type: 'rest_418', venue: 'binance' });
    res = await fetch(depth);
    expect(res.status).toBe(418);
    expect(res.headers.get('retry-after')).toBe('2');
    sim.faults.arm({ type: 'rest_slow', venue: 'binance', durationMs: 400 });
    const t0 = Date.now();
    res = await fetch(depth);
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
    expect((await fetch(depth)).status).toBe(200);
  });
});

describe('Binance keepalive and connection lifetime', () => {
  it('pings the client and ends the connection after its lifetime with serverShutdown', async () => {
    const sim = await startSimulator({
      controlPort: 0,
      ports: { binance: 0 },
      venues: ['binance'],
      rate: 5,
      venueOptions: { pingIntervalMs: 500, connectionLifetimeMs: 1500 },
    });
    try {
      const c = await RecordingClient.connect(`${sim.endpoints.binance.rest.replace('http', 'ws')}/ws/btcusdt@trade`);
      let pings = 0;
      c.ws.on('ping', () => pings++);
      const t0 = Date.now();
      expect(await c.closed(4000)).toBe(1001);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      expect(pings).toBeGreaterThanOrEqual(1);
      expect(c.json().find((m) => m['e'] === 'serverShutdown')).toMatchObject({ e: 'serverShutdown', E: expect.any(Number) });
    } finally {
      await sim.stop();
    }
  });
});

describe('control API and ground truth', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ controlPort: 0, ports: { okx: 0 }, venues: ['okx'], rate: 300, seed: 4 });
  });
  afterAll(() => sim.stop());

  it('reports exactly the trade frames a subscriber received, the trade-id range, and the distinct trades sent', async () => {
    const c = await RecordingClient.connect(sim.endpoints.okx.ws);
    c.send({ op: 'subscribe', args: [{ channel: 'trades', instId: 'BTC-USDT' }] });
    await c.until(() => c.json().filter((m) => m['data']).length >= 30);
    await post(`${sim.controlUrl}/api/rates`, { venue: 'okx', rate: 0 });
    const truthNow = async () => ((await (await fetch(`${sim.controlUrl}/api/ground-truth`)).json()) as any).venues.okx['BTC-USDT'];
    const frames = () => c.json().filter((m) => m['data']);
    // The market stands still: wait until everything the ground truth counts has arrived.
    const ids = () => frames().flatMap((m) => (m['data'] as { tradeId: string }[]).map((d) => Number(d.tradeId)));
    const truth = await until(
      async () => {
        const t = await truthNow();
        return t.counts.trades === frames().length && ids().at(-1) === t.lastTradeId ? t : undefined;
      },
      5000,
      'every trade frame counted to arrive',
    );
    expect(ids().at(-1)).toBe(truth.lastTradeId);
    expect(new Set(ids()).size).toBe(ids().length);
    await post(`${sim.controlUrl}/api/rates`, { venue: 'okx', rate: 300 });
    c.close();
  });

  it('answers bad input with 400 naming the field', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['/api/faults', { type: 'explode' }, /^type: expected one of drop, stall/],
      ['/api/faults', { type: 'drop', venue: 'ftx' }, /^venue: expected one of binance/],
      ['/api/faults', { type: 'drop', symbol: 'DOGE-EUR' }, /^symbol: expected one of BTC-USDT, ETH-USDT/],
      ['/api/faults', { type: 'stall', durationMs: -5 }, /^durationMs: expected a number >= 0/],
      ['/api/faults', '{"type":', /^body is not JSON/],
      ['/api/rates', { venue: 'okx' }, /^rate: expected a number/],
    ];
    for (const [path, body, error] of cases) {
      const res = await post(`${sim.controlUrl}${path}`, body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(error);
    }
    const ok = await post(`${sim.controlUrl}/api/faults`, [{ type: 'stall', venue: 'okx', durationMs: 10, connection: 999 }]);
    expect(ok.status).toBe(201);
    expect(((await (await fetch(`${sim.controlUrl}/api/faults`)).json()) as any).active).toHaveLength(1);
    await fetch(`${sim.controlUrl}/api/faults`, { method: 'DELETE' });
    expect((await fetch(`${sim.controlUrl}/nope`)).status).toBe(404);
  });

  it('lists venues, endpoints and connections', async () => {
    const v = (await (await fetch(`${sim.controlUrl}/api/venues`)).json()) as any;
    expect(v.venues.okx.ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws\/v5\/public$/);
    expect((await fetch(`${sim.controlUrl}/health`)).status).toBe(200);
  });

  it('closes OKX connections idle for longer than the idle timeout', async () => {
    const quick = await startSimulator({
      controlPort: 0,
      ports: { okx: 0 },
      venues: ['okx'],
      rate: 0,
      venueOptions: { idleTimeoutMs: 500 },
    });
    try {
      const c = await RecordingClient.connect(quick.endpoints.okx.ws);
      expect(await c.closed(3000)).toBe(4004);
    } finally {
      await quick.stop();
    }
  });
});

describe('scenario files', () => {
  it('parses a scenario and names the bad field', () => {
    expect(
      parseScenario(
        {
          seed: 3,
          symbols: ['BTC-USDT'],
          rate: 10,
          faults: [{ atMs: 100, type: 'drop', venue: 'okx' }],
          replay: [{ venue: 'binance', files: ['x.0'], speed: 'max' }],
        },
        '/tmp',
      ),
    ).toEqual({
      seed: 3,
      symbols: ['BTC-USDT'],
      rate: 10,
      faults: [{ type: 'drop', venue: 'okx', atMs: 100 }],
      replay: [{ venue: 'binance', files: ['/tmp/x.0'], speed: Infinity }],
    });
    expect(() => parseScenario({ faults: [{ type: 'boom' }] })).toThrow(/^scenario\.faults\[0\]\.type: expected one of/);
    expect(() => parseScenario({ symbols: ['btc'] })).toThrow(/scenario\.symbols/);
    expect(() => parseScenario({ rates: [{ venue: 'ftx', rate: 1 }] })).toThrow(/scenario\.rates\[0\]\.venue/);
    expect(parseScenario({ profile: 'per-event', venueOptions: { maxQueuedBytesPerConnection: 1024, shutdownGraceMs: 0 } })).toEqual({
      profile: 'per-event',
      venueOptions: { maxQueuedBytesPerConnection: 1024, shutdownGraceMs: 0 },
    });
    expect(() => parseScenario({ profile: 'fast' })).toThrow('scenario.profile: expected one of realistic, per-event, got "fast"');
    expect(() => parseScenario({ venueOptions: { shutdownGraceMs: -1 } })).toThrow(
      /^scenario\.venueOptions\.shutdownGraceMs: expected a number >= 0/,
    );
  });
});
