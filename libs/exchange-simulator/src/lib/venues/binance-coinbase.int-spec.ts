import { readFileSync } from 'node:fs';

import { type Simulator, startSimulator } from '../simulator';
import { fixturePath, RecordingClient } from '../testing/sim-client';

/** Key sets of recorded frames by kind, from the fixture captures. */
function recordedKeys(file: string, kindOf: (m: any) => string | undefined, unwrap = (m: any) => m): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of readFileSync(fixturePath(file), 'utf8').split('\n')) {
    const m = /^[\d.]+: (\{.*\})$/.exec(line);
    if (!m) continue;
    const msg = JSON.parse(m[1] as string);
    const kind = kindOf(msg);
    if (kind && !out.has(kind)) out.set(kind, Object.keys(unwrap(msg)).sort());
  }
  return out;
}

describe('Binance spot protocol', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ controlPort: 0, ports: { binance: 0, coinbase: 0 }, venues: ['binance', 'coinbase'], rate: 200, seed: 3 });
  });
  afterAll(() => sim.stop());

  it('combined streams carry the recorded frame shapes, wrapped in {stream, data}', async () => {
    const recorded = recordedKeys(
      'BINANCE.ws.1.0',
      (m) => m.data?.e ?? (m.data?.u !== undefined ? 'bookTicker' : undefined),
      (m) => m.data,
    );
    const url = `${sim.endpoints.binance.rest.replace('http', 'ws')}/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker/btcusdt@aggTrade/btcusdt@trade`;
    const c = await RecordingClient.connect(url);
    await c.until(() => {
      const kinds = new Set(c.json().map((m) => m['data']?.e ?? 'bookTicker'));
      return kinds.has('depthUpdate') && kinds.has('aggTrade') && kinds.has('bookTicker') && kinds.has('trade');
    });
    for (const kind of ['depthUpdate', 'aggTrade', 'bookTicker']) {
      const ours = c.json().find((m) => (m['data']?.e ?? 'bookTicker') === kind) as Record<string, any>;
      expect(Object.keys(ours).sort()).toEqual(['data', 'stream']);
      expect(Object.keys(ours['data']).sort()).toEqual(recorded.get(kind));
    }
    const trade = c.json().find((m) => m['data']?.e === 'trade')?.['data'];
    expect(trade).toMatchObject({ s: 'BTCUSDT', p: expect.stringMatching(/^\d+\.\d$/), q: expect.stringMatching(/^\d+\.\d{5}$/), M: true });
    c.close();
  });

  it('a client that follows the documented sync (REST snapshot + U/u diffs) ends with the exact book', async () => {
    const c = await RecordingClient.connect(`${sim.endpoints.binance.rest.replace('http', 'ws')}/ws/ethusdt@depth@100ms`);
    await c.until((f) => f.length >= 3);
    const res = await fetch(`${sim.endpoints.binance.rest}/api/v3/depth?symbol=ETHUSDT&limit=1000`);
    expect(res.headers.get('x-mbx-used-weight-1m')).toBe('50');
    const snap = (await res.json()) as { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };
    const bids = new Map(snap.bids);
    const asks = new Map(snap.asks);
    await c.until((f) => f.length >= 60);
    sim.setRate({ venue: 'binance', symbol: 'ETH-USDT', rate: 0 });
    await new Promise((r) => setTimeout(r, 100));
    let expected = snap.lastUpdateId + 1;
    let applied = 0;
    for (const d of c.json<{ U: number; u: number; b: [string, string][]; a: [string, string][] }>()) {
      if (d.u <= snap.lastUpdateId) continue;
      expect(d.U).toBeLessThanOrEqual(expected);
      expect(d.u).toBeGreaterThanOrEqual(expected);
      expected = d.u + 1;
      for (const [side, levels] of [
        [bids, d.b],
        [asks, d.a],
      ] as const) {
        for (const [px, q] of levels) {
          if (Number(q) === 0) side.delete(px);
          else side.set(px, q);
        }
      }
      applied++;
    }
    expect(applied).toBeGreaterThan(10);
    const after = (await (await fetch(`${sim.endpoints.binance.rest}/api/v3/depth?symbol=ETHUSDT&limit=5000`)).json()) as typeof snap;
    expect(after.lastUpdateId).toBe(expected - 1);
    expect([...bids.entries()].sort((a, b) => Number(b[0]) - Number(a[0]))).toEqual(after.bids);
    expect([...asks.entries()].sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(after.asks);
    sim.setRate({ venue: 'binance', symbol: 'ETH-USDT', rate: 200 });
    c.close();
  });

  it('SUBSCRIBE / LIST_SUBSCRIPTIONS / UNSUBSCRIBE with ids, and errors for unknown streams', async () => {
    const c = await RecordingClient.connect(sim.endpoints.binance.ws);
    c.send({ method: 'SUBSCRIBE', params: ['btcusdt@trade'], id: 1 });
    c.send({ method: 'LIST_SUBSCRIPTIONS', id: 2 });
    c.send({ method: 'SUBSCRIBE', params: ['xyzusdt@trade'], id: 3 });
    await c.until(() => c.json().find((m) => m['id'] === 3));
    const byId = (id: number) => c.json().find((m) => m['id'] === id);
    expect(byId(1)).toEqual({ result: null, id: 1 });
    expect(byId(2)).toEqual({ result: ['btcusdt@trade'], id: 2 });
    expect(byId(3)).toMatchObject({ error: { code: 2 }, id: 3 });
    await c.until(() => c.json().find((m) => m['e'] === 'trade'));
    c.close();
  });

  it('closes a connection that sends more than 5 messages per second', async () => {
    const c = await RecordingClient.connect(sim.endpoints.binance.ws);
    for (let i = 0; i < 7; i++) c.send({ method: 'LIST_SUBSCRIPTIONS', id: i });
    expect(await c.closed()).toBe(1008);
  });

  it('serves exchangeInfo and rejects an unknown symbol with -1121', async () => {
    const info = (await (await fetch(`${sim.endpoints.binance.rest}/api/v3/exchangeInfo`)).json()) as { symbols: { symbol: string }[] };
    expect(info.symbols.map((s) => s.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    const bad = await fetch(`${sim.endpoints.binance.rest}/api/v3/depth?symbol=NOPE`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ code: -1121, msg: 'Invalid symbol.' });
  });
});

describe('Coinbase Exchange feed protocol', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ controlPort: 0, ports: { coinbase: 0 }, venues: ['coinbase'], rate: 200, seed: 5, symbols: ['BTC-USD'] });
  });
  afterAll(() => sim.stop());

  it('answers subscribe with subscriptions, then snapshot, l2update, match and ticker in the recorded shapes', async () => {
    const recorded = recordedKeys('COINBASE.ws.28.0', (m) => m.type);
    const c = await RecordingClient.connect(sim.endpoints.coinbase.ws);
    c.send({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['level2', 'matches', 'ticker', 'heartbeat'] });
    await c.until(() => {
      const types = new Set(c.json().map((m) => m['type']));
      return ['subscriptions', 'snapshot', 'l2update', 'match', 'ticker', 'heartbeat'].every((t) => types.has(t));
    }, 8000);
    const first = (type: string) => c.json().find((m) => m['type'] === type) as Record<string, unknown>;
    expect(c.json()[0]).toEqual({
      type: 'subscriptions',
      channels: expect.arrayContaining([{ name: 'level2', product_ids: ['BTC-USD'] }]),
    });
    for (const type of ['snapshot', 'l2update', 'match']) expect(Object.keys(first(type)).sort()).toEqual(recorded.get(type));
    // Our ticker carries the recorded fields (plus best_bid_size/best_ask_size of today's feed).
    expect(Object.keys(first('ticker'))).toEqual(expect.arrayContaining(recorded.get('ticker') ?? []));
    // Per-product sequence strictly increases across match/ticker/heartbeat.
    const seqs = c
      .json()
      .filter((m) => m['type'] === 'match')
      .map((m) => m['sequence'] as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    c.close();
  });

  it('rejects an unknown product with the feed error shape', async () => {
    const c = await RecordingClient.connect(sim.endpoints.coinbase.ws);
    c.send({ type: 'subscribe', product_ids: ['NOPE-USD'], channels: ['level2'] });
    const err = await c.until(() => c.json().find((m) => m['type'] === 'error'));
    expect(err).toEqual({ type: 'error', message: 'Failed to subscribe', reason: 'NOPE-USD is not a valid product' });
    c.close();
  });
});
