import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

import { type Simulator, startSimulator } from '../simulator';
import { fixturePath, RecordingClient } from '../testing/sim-client';

/** Recorded frames (exchange → client) of a fixture capture, parsed. */
function recordedFrames(file: string): any[] {
  const out: any[] = [];
  for (const line of readFileSync(fixturePath(file), 'utf8').split('\n')) {
    const m = /^[\d.]+: (\{.*\})$/.exec(line);
    if (m) out.push(JSON.parse(m[1] as string));
  }
  return out;
}

/** Key sets of recorded frames by kind, from the fixture captures. */
function recordedKeys(file: string, kindOf: (m: any) => string | undefined, unwrap = (m: any) => m): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const msg of recordedFrames(file)) {
    const kind = kindOf(msg);
    if (kind && !out.has(kind)) out.set(kind, Object.keys(unwrap(msg)).sort());
  }
  return out;
}

const wsUrl = (sim: Simulator, path: string) => `${sim.endpoints.binance.rest.replace('http', 'ws')}${path}`;
const EIGHT_DECIMALS = /^\d+\.\d{8}$/;
type Depth = { U: number; u: number; b: [string, string][]; a: [string, string][] };
type Snapshot = { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };

/** Exact scaled integer of an 8-decimal string (no float rounding in sums). */
const units8 = (s: string) => BigInt(s.replace('.', ''));

describe('Binance spot protocol', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ controlPort: 0, ports: { binance: 0 }, venues: ['binance'], rate: 200, seed: 3 });
  });
  afterAll(() => sim.stop());

  it('combined streams carry the recorded frame shapes and 8-decimal strings, wrapped in {stream, data} (BINANCE.ws.1.0)', async () => {
    const recorded = recordedKeys(
      'BINANCE.ws.1.0',
      (m) => m.data?.e ?? (m.data?.u !== undefined ? 'bookTicker' : undefined),
      (m) => m.data,
    );
    // The capture itself: every price and quantity has 8 decimals.
    const capture = recordedFrames('BINANCE.ws.1.0').map((m) => m.data);
    const recordedDecimals = capture.flatMap((d) =>
      d.e === 'depthUpdate' ? [...d.b, ...d.a].flat() : d.e === 'aggTrade' ? [d.p, d.q] : d.u !== undefined ? [d.b, d.B, d.a, d.A] : [],
    );
    expect(recordedDecimals.length).toBeGreaterThan(100);
    expect(recordedDecimals.every((s: string) => EIGHT_DECIMALS.test(s))).toBe(true);

    const c = await RecordingClient.connect(
      wsUrl(sim, '/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker/btcusdt@aggTrade/btcusdt@trade'),
    );
    await c.until(() => {
      const kinds = new Set(c.json().map((m) => m['data']?.e ?? 'bookTicker'));
      return kinds.has('depthUpdate') && kinds.has('aggTrade') && kinds.has('bookTicker') && kinds.has('trade');
    });
    for (const kind of ['depthUpdate', 'aggTrade', 'bookTicker']) {
      const ours = c.json().find((m) => (m['data']?.e ?? 'bookTicker') === kind) as Record<string, any>;
      expect(Object.keys(ours).sort()).toEqual(['data', 'stream']);
      expect(Object.keys(ours['data']).sort()).toEqual(recorded.get(kind));
    }
    // Trade stream keys as documented (Spot WebSocket Streams → Trade Streams).
    const trade = c.json().find((m) => m['data']?.e === 'trade')?.['data'];
    expect(Object.keys(trade).sort()).toEqual(['E', 'M', 'T', 'e', 'm', 'p', 'q', 's', 't'].sort());
    expect(trade).toMatchObject({
      s: 'BTCUSDT',
      p: expect.stringMatching(EIGHT_DECIMALS),
      q: expect.stringMatching(EIGHT_DECIMALS),
      M: true,
    });
    const ours = c.json().map((m) => m['data']);
    const decimals = ours.flatMap((d) =>
      d.e === 'depthUpdate' ? [...d.b, ...d.a].flat() : d.e ? [d.p, d.q] : [d.b, d.B, d.a, d.A],
    ) as string[];
    expect(decimals.filter((s) => !EIGHT_DECIMALS.test(s))).toEqual([]);
    c.close();
  });

  it('documented sync (buffer, REST snapshot, drop u <= lastUpdateId, U <= lastUpdateId+1 <= u, then U = previous u + 1) ends with the exact book', async () => {
    const c = await RecordingClient.connect(wsUrl(sim, '/ws/ethusdt@depth@100ms'));
    await c.until((f) => f.length >= 2);
    const snapshot = async (limit: number) =>
      (await (await fetch(`${sim.endpoints.binance.rest}/api/v3/depth?symbol=ETHUSDT&limit=${limit}`)).json()) as Snapshot;
    // A deep snapshot (exact book check over its whole range) and a shallow one (the diffs then
    // touch levels the client never saw and remove levels it does not have, which is normal).
    const deep = await snapshot(1000);
    const shallow = await snapshot(5);
    // The book is deeper than the snapshot: exactly `limit` levels come back.
    expect([deep.bids.length, deep.asks.length]).toEqual([1000, 1000]);
    await c.until(() => c.json<Depth>().filter((d) => d.u > shallow.lastUpdateId).length >= 20, 10_000);
    sim.setRate({ venue: 'binance', symbol: 'ETH-USDT', rate: 0 });
    // Ground truth: the market's own sequence once it stopped; wait until the diff that reaches it arrived.
    const finalSeq = () => sim.rates().find((r) => r.venue === 'binance' && r.symbol === 'ETH-USDT')?.seq as number;
    await c.until(() => c.json<Depth>().at(-1)?.u === finalSeq(), 5000);
    const after = await snapshot(5000);
    expect(after.lastUpdateId).toBe(finalSeq());
    const frames = c.json<Depth>();
    // Batched: a frame spans several book updates.
    expect(frames.reduce((n, d) => n + d.u - d.U + 1, 0) / frames.length).toBeGreaterThan(3);

    for (const snap of [deep, shallow]) {
      const bids = new Map(snap.bids);
      const asks = new Map(snap.asks);
      const bidBound = Number(snap.bids.at(-1)?.[0]);
      const askBound = Number(snap.asks.at(-1)?.[0]);
      let previous: number | undefined;
      let first: Depth | undefined;
      let applied = 0;
      let unseenLevels = 0;
      let unknownRemovals = 0;
      for (const d of frames) {
        if (d.u <= snap.lastUpdateId) continue;
        if (previous === undefined) {
          first = d;
          expect(d.U).toBeLessThanOrEqual(snap.lastUpdateId + 1);
          expect(d.u).toBeGreaterThanOrEqual(snap.lastUpdateId + 1);
        } else expect(d.U).toBe(previous + 1);
        previous = d.u;
        for (const [side, levels, outside] of [
          [bids, d.b, (px: number) => px < bidBound],
          [asks, d.a, (px: number) => px > askBound],
        ] as const) {
          for (const [px, q] of levels) {
            if (outside(Number(px))) unseenLevels++;
            if (Number(q) === 0) {
              if (!side.has(px)) unknownRemovals++;
              side.delete(px);
            } else side.set(px, q);
          }
        }
        applied++;
      }
      expect(applied).toBeGreaterThan(10);
      expect(previous).toBe(after.lastUpdateId);
      // The first applied event straddles the snapshot and spans several updates.
      expect(first?.U).toBeLessThan(first?.u as number);
      if (snap === shallow) {
        expect(unseenLevels).toBeGreaterThan(0);
        expect(unknownRemovals).toBeGreaterThan(0);
      }
      // Within the snapshot's price range the client knows every level, exactly.
      const inRange = (levels: Iterable<[string, string]>, keep: (px: number) => boolean) => [...levels].filter(([px]) => keep(Number(px)));
      const byPrice = (desc: boolean) => (a: [string, string], b: [string, string]) => (Number(a[0]) - Number(b[0])) * (desc ? -1 : 1);
      expect(inRange(bids, (px) => px >= bidBound).sort(byPrice(true))).toEqual(inRange(after.bids, (px) => px >= bidBound));
      expect(inRange(asks, (px) => px <= askBound).sort(byPrice(false))).toEqual(inRange(after.asks, (px) => px <= askBound));
      // Outside it, every level the client holds is right.
      const truth = new Map([...after.bids, ...after.asks]);
      for (const [px, q] of [...inRange(bids, (p) => p < bidBound), ...inRange(asks, (p) => p > askBound)]) {
        expect([px, truth.get(px)]).toEqual([px, q]);
      }
    }
    sim.setRate({ venue: 'binance', symbol: 'ETH-USDT', rate: 200 });
    c.close();
  });

  it('<symbol>@depth is the 1000 ms diff stream: contiguous U/u, one frame per second', async () => {
    const c = await RecordingClient.connect(wsUrl(sim, '/ws/btcusdt@depth'));
    await c.until((f) => f.length >= 3, 8000);
    const ds = c.json<Depth>();
    for (let i = 1; i < ds.length; i++) expect((ds[i] as Depth).U).toBe((ds[i - 1] as Depth).u + 1);
    expect(ds.every((d) => d.U < d.u)).toBe(true);
    const gaps = c.frames.slice(1).map((f, i) => f.at - (c.frames[i] as { at: number }).at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(500);
    c.close();
  });

  it('SUBSCRIBE acknowledges unknown symbols and mixed-case names, which then carry no data; LIST/UNSUBSCRIBE with ids', async () => {
    const c = await RecordingClient.connect(wsUrl(sim, '/stream'));
    c.send({ method: 'SUBSCRIBE', params: ['xyzusdt@trade', 'BTCUSDT@trade', 'btcusdt@trade'], id: 1 });
    c.send({ method: 'LIST_SUBSCRIPTIONS', id: 2 });
    await c.until(() => c.json().find((m) => m['id'] === 2));
    const byId = (id: number) => c.json().find((m) => m['id'] === id);
    expect(byId(1)).toEqual({ result: null, id: 1 });
    expect(byId(2)).toEqual({ result: ['xyzusdt@trade', 'BTCUSDT@trade', 'btcusdt@trade'], id: 2 });
    await c.until(() => c.json().filter((m) => m['stream'] === 'btcusdt@trade').length >= 10);
    expect(new Set(c.json().flatMap((m) => (m['stream'] ? [m['stream']] : [])))).toEqual(new Set(['btcusdt@trade']));
    c.send({ method: 'UNSUBSCRIBE', params: ['btcusdt@trade'], id: 3 });
    await c.until(() => byId(3));
    expect(byId(3)).toEqual({ result: null, id: 3 });
    c.close();
  });

  it('closes a connection that sends more than 5 messages per second, JSON requests or PING frames alike', async () => {
    const c = await RecordingClient.connect(sim.endpoints.binance.ws);
    for (let i = 0; i < 7; i++) c.send({ method: 'LIST_SUBSCRIPTIONS', id: i });
    expect(await c.closed()).toBe(1008);
    const p = await RecordingClient.connect(sim.endpoints.binance.ws);
    for (let i = 0; i < 7; i++) p.ws.ping();
    expect(await p.closed()).toBe(1008);
  });

  it('REST: exchangeInfo in the documented shape; depth limits; upper-case symbols only (-1121)', async () => {
    const info = (await (await fetch(`${sim.endpoints.binance.rest}/api/v3/exchangeInfo`)).json()) as {
      rateLimits: unknown[];
      symbols: { symbol: string; status: string; filters: Record<string, string>[] }[];
    };
    expect(info.symbols.map((s) => s.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    const btc = info.symbols[0] as (typeof info.symbols)[number];
    const filter = (type: string) => btc.filters.find((f) => f['filterType'] === type) as Record<string, string>;
    expect(Object.keys(filter('PRICE_FILTER')).sort()).toEqual(['filterType', 'maxPrice', 'minPrice', 'tickSize']);
    expect(Object.keys(filter('LOT_SIZE')).sort()).toEqual(['filterType', 'maxQty', 'minQty', 'stepSize']);
    const tick = units8(filter('PRICE_FILTER')['tickSize'] as string);
    const step = units8(filter('LOT_SIZE')['stepSize'] as string);
    expect([filter('PRICE_FILTER')['tickSize'], filter('LOT_SIZE')['stepSize']].every((s) => EIGHT_DECIMALS.test(s as string))).toBe(true);

    const depth = (query: string) => fetch(`${sim.endpoints.binance.rest}/api/v3/depth?${query}`);
    const before = Number((await depth('symbol=BTCUSDT&limit=5')).headers.get('x-mbx-used-weight-1m'));
    const dflt = await depth('symbol=BTCUSDT');
    expect(Number(dflt.headers.get('x-mbx-used-weight-1m')) - before).toBe(5);
    const book = (await dflt.json()) as Snapshot;
    expect([book.bids.length, book.asks.length]).toEqual([100, 100]);
    // Every price is on the tick and every quantity on the step the gateway reads from exchangeInfo.
    for (const [px, q] of [...book.bids, ...book.asks]) {
      expect(units8(px) % tick).toBe(0n);
      expect(units8(q) % step).toBe(0n);
    }
    const max = (await (await depth('symbol=BTCUSDT&limit=20000')).json()) as Snapshot;
    expect([max.bids.length, max.asks.length]).toEqual([5000, 5000]);

    for (const bad of ['btcusdt', 'NOPE']) {
      const r = await depth(`symbol=${bad}`);
      expect(r.status).toBe(400);
      expect(await r.json()).toEqual({ code: -1121, msg: 'Invalid symbol.' });
    }
  });
});

describe('Binance spot connection rules', () => {
  it('pings every interval and disconnects a client that does not answer with a pong', async () => {
    const sim = await startSimulator({
      controlPort: 0,
      ports: { binance: 0 },
      venues: ['binance'],
      rate: 5,
      venueOptions: { pingIntervalMs: 200, binance: { pongTimeoutMs: 1500 } },
    });
    const silent = new WebSocket(wsUrl(sim, '/ws/btcusdt@trade'), { autoPong: false });
    let pings = 0;
    silent.on('ping', () => pings++);
    const polite = await RecordingClient.connect(wsUrl(sim, '/ws/btcusdt@trade'));
    const t0 = Date.now();
    const code = await new Promise<number>((resolve) => silent.on('close', (c) => resolve(c)));
    expect(code).toBe(1008);
    expect(pings).toBeGreaterThanOrEqual(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    // The client that answers (ws answers pings by default) is still connected.
    expect(polite.closeCode).toBeUndefined();
    polite.close();
    await sim.stop();
  });

  it('refuses connection attempts past the per-IP limit', async () => {
    const sim = await startSimulator({
      controlPort: 0,
      ports: { binance: 0 },
      venues: ['binance'],
      rate: 5,
      venueOptions: { binance: { maxConnectionAttempts: 3, connectionAttemptWindowMs: 60_000 } },
    });
    const ok = [];
    for (let i = 0; i < 3; i++) ok.push(await RecordingClient.connect(sim.endpoints.binance.ws));
    ok[0]?.close();
    const refused = await RecordingClient.connect(sim.endpoints.binance.ws);
    expect(await refused.closed()).toBe(1008);
    for (const c of ok) c.close();
    await sim.stop();
  });

  it('serverShutdown on combined streams is wrapped like every frame; data keeps flowing until the close after the grace period', async () => {
    const sim = await startSimulator({
      controlPort: 0,
      ports: { binance: 0 },
      venues: ['binance'],
      rate: 200,
      venueOptions: { shutdownGraceMs: 1000 },
    });
    const combined = await RecordingClient.connect(wsUrl(sim, '/stream?streams=btcusdt@depth@100ms'));
    const raw = await RecordingClient.connect(wsUrl(sim, '/ws/btcusdt@depth@100ms'));
    await combined.until((f) => f.length >= 2);
    sim.faults.arm({ type: 'server_close', venue: 'binance', count: 2 });
    const notice = await combined.until(() => combined.frames.find((f) => f.text.includes('serverShutdown')));
    expect(JSON.parse(notice.text)).toEqual({ stream: '!serverShutdown', data: { e: 'serverShutdown', E: expect.any(Number) } });
    expect(await combined.closed(5000)).toBe(1001);
    const closedAt = Date.now();
    expect(closedAt - notice.at).toBeGreaterThanOrEqual(800);
    expect(combined.frames.filter((f) => f.at > notice.at).length).toBeGreaterThan(0);
    expect(await raw.closed(5000)).toBe(1001);
    expect(raw.json().find((m) => m['e'] === 'serverShutdown')).toEqual({ e: 'serverShutdown', E: expect.any(Number) });
    await sim.stop();
  });

  it('aggTrade ids are their own sequence; f..l are the trade ids aggregated (one taker at one price)', async () => {
    const sim = await startSimulator({ controlPort: 0, ports: { binance: 0 }, venues: ['binance'], rate: 0, seed: 11 });
    const c = await RecordingClient.connect(wsUrl(sim, '/stream?streams=btcusdt@trade/btcusdt@aggTrade'));
    sim.step('binance', 'BTC-USDT', 400);
    const lastTrade = sim.rates().find((r) => r.venue === 'binance' && r.symbol === 'BTC-USDT')?.trades as number;
    expect(lastTrade).toBeGreaterThan(20);
    await c.until(() => c.json().some((m) => m['data']?.e === 'aggTrade' && m['data'].l === lastTrade));
    const trades = new Map(c.json().flatMap((m) => (m['data']?.e === 'trade' ? [[m['data'].t as number, m['data']]] : [])));
    const aggs = c.json().flatMap((m) => (m['data']?.e === 'aggTrade' ? [m['data']] : []));
    expect(trades.size).toBe(lastTrade);
    let next = 1;
    for (const [i, g] of aggs.entries()) {
      expect(g.a).toBe((aggs[0] as { a: number }).a + i);
      expect(g.f).toBe(next);
      expect(g.l).toBeGreaterThanOrEqual(g.f);
      next = g.l + 1;
      const parts = Array.from({ length: g.l - g.f + 1 }, (_, k) => trades.get(g.f + k));
      expect(new Set(parts.map((t) => t.p))).toEqual(new Set([g.p]));
      expect(new Set(parts.map((t) => t.m))).toEqual(new Set([g.m]));
      expect(parts.reduce((s, t) => s + units8(t.q), 0n)).toBe(units8(g.q));
    }
    expect(next).toBe(lastTrade + 1);
    expect(aggs.some((g) => g.l > g.f)).toBe(true);
    expect(aggs.length).toBeLessThan(trades.size);
    c.close();
    await sim.stop();
  });

  it('per-event profile keeps one depthUpdate per book update (U = u)', async () => {
    const sim = await startSimulator({
      controlPort: 0,
      ports: { binance: 0 },
      venues: ['binance'],
      rate: 100,
      venueOptions: { profile: 'per-event' },
    });
    const c = await RecordingClient.connect(wsUrl(sim, '/ws/btcusdt@depth@100ms'));
    await c.until((f) => f.length >= 20);
    const ds = c.json<Depth>();
    expect(ds.every((d) => d.U === d.u)).toBe(true);
    for (let i = 1; i < ds.length; i++) expect((ds[i] as Depth).U).toBe((ds[i - 1] as Depth).u + 1);
    c.close();
    await sim.stop();
  });
});

const TRIMMED = /^\d+(\.\d*[1-9])?$/;
type L2 = { type: string; product_id: string; changes: [string, string, string][]; bids: [string, string][]; asks: [string, string][] };

describe('Coinbase Exchange feed protocol', () => {
  let sim: Simulator;
  const auth = { signature: 'c2lnbmF0dXJl', key: 'key', passphrase: 'passphrase', timestamp: '1700000000' };
  const rest = (path: string) => fetch(`${sim.endpoints.coinbase.rest}${path}`);
  beforeAll(async () => {
    sim = await startSimulator({
      controlPort: 0,
      ports: { coinbase: 0 },
      venues: ['coinbase'],
      rate: 200,
      seed: 5,
      symbols: ['BTC-USD', 'ETH-USD'],
    });
  });
  afterAll(() => sim.stop());

  it('level2_batch (public): subscriptions under its own name, then snapshot, batched l2update, match and ticker in the recorded shapes (COINBASE.ws.28.0)', async () => {
    const recorded = recordedKeys('COINBASE.ws.28.0', (m) => m.type);
    const c = await RecordingClient.connect(sim.endpoints.coinbase.ws);
    c.send({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['level2_batch', 'matches', 'ticker', 'heartbeat'] });
    await c.until(() => {
      const types = new Set(c.json().map((m) => m['type']));
      return ['subscriptions', 'snapshot', 'l2update', 'match', 'ticker', 'heartbeat'].every((t) => types.has(t));
    }, 8000);
    const first = (type: string) => c.json().find((m) => m['type'] === type) as Record<string, unknown>;
    expect(c.json()[0]).toEqual({
      type: 'subscriptions',
      channels: expect.arrayContaining([{ name: 'level2_batch', product_ids: ['BTC-USD'] }]),
    });
    for (const type of ['snapshot', 'l2update', 'match']) expect(Object.keys(first(type)).sort()).toEqual(recorded.get(type));
    // Our ticker carries the recorded fields (plus best_bid_size/best_ask_size of today's feed).
    expect(Object.keys(first('ticker'))).toEqual(expect.arrayContaining(recorded.get('ticker') ?? []));
    // Heartbeat fields as documented (Exchange WebSocket channels → Heartbeat channel).
    expect(Object.keys(first('heartbeat')).sort()).toEqual(['last_trade_id', 'product_id', 'sequence', 'time', 'type']);
    // Per-product sequence never decreases across match/ticker.
    const seqs = c
      .json()
      .filter((m) => m['type'] === 'match' || m['type'] === 'ticker')
      .map((m) => m['sequence'] as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // Batched: 50 ms windows carry several changes.
    const updates = c.json<L2>().filter((m) => m.type === 'l2update');
    await c.until(() => c.json<L2>().filter((m) => m.type === 'l2update').length >= 10);
    expect(c.json<L2>().some((m) => m.type === 'l2update' && m.changes.length > 1)).toBe(true);
    expect(updates.every((u) => u.changes.every(([side]) => side === 'buy' || side === 'sell'))).toBe(true);
    c.close();
  });

  it('match and ticker decimals are trimmed as in the recorded feed; l2 levels keep the product increments', async () => {
    const capture = recordedFrames('COINBASE.ws.28.0');
    const recordedTrimmed = capture.flatMap((m) =>
      m.type === 'match' || m.type === 'last_match'
        ? [m.size, m.price]
        : m.type === 'ticker'
          ? [m.price, m.last_size, m.low_24h, m.high_24h]
          : [],
    );
    expect(recordedTrimmed.length).toBeGreaterThan(100);
    expect(recordedTrimmed.filter((v: string) => !TRIMMED.test(v))).toEqual([]);
    // The capture's l2 sizes keep trailing zeros ("335.0", "123.10"): fixed decimals per product.
    expect(capture.some((m) => m.type === 'l2update' && m.changes.some((ch: string[]) => /\.\d*0$/.test(ch[2] as string)))).toBe(true);

    const c = await RecordingClient.connect(sim.endpoints.coinbase.ws);
    c.send({ type: 'subscribe', product_ids: ['ETH-USD'], channels: ['matches', 'ticker', 'level2_batch'] });
    await c.until(() => c.json().filter((m) => m['type'] === 'match').length >= 30, 8000);
    const ours = c
      .json()
      .flatMap((m) => (m['type'] === 'match' ? [m['size'], m['price']] : m['type'] === 'ticker' ? [m['price'], m['last_size']] : []));
    expect(ours.filter((v: string) => !TRIMMED.test(v))).toEqual([]);
    // Sizes vary in their number of decimals, as the venue's do.
    expect(
      new Set(c.json().flatMap((m) => (m['type'] === 'match' ? [(m['size'] as string).split('.')[1]?.length ?? 0] : []))).size,
    ).toBeGreaterThan(1);
    const levels = c.json<L2>().flatMap((m) => (m.type === 'l2update' ? m.changes.map((ch) => ch[1]) : []));
    expect(levels.every((px) => /^\d+\.\d{2}$/.test(px))).toBe(true);
    c.close();
  });

  it('level2 needs an authenticated subscribe; with the signed fields it is served update by update', async () => {
    const anon = await RecordingClient.connect(sim.endpoints.coinbase.ws);
    anon.send({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['level2'] });
    // As the feed answers since 2023-08 (cryptofeed issue #990, bytewax PR #279).
    expect(await anon.until(() => anon.json().find((m) => m['type'] === 'error'))).toEqual({
      type: 'error',
      message: 'Failed to subscribe',
      reason: 'level2, level3, and full channels now require authentication. https://docs.cloud.coinbase.com/exchange/docs/websocket-auth',
    });
    expect(anon.json().some((m) => m['type'] === 'snapshot')).toBe(false);
    anon.close();

    const signed = await RecordingClient.connect(sim.endpoints.coinbase.ws);
    signed.send({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['level2'], ...auth });
    await signed.until(() => signed.json().filter((m) => m['type'] === 'l2update').length >= 5);
    expect(signed.json()[0]).toEqual({ type: 'subscriptions', channels: [{ name: 'level2', product_ids: ['BTC-USD'] }] });
    expect(signed.json()[1]?.['type']).toBe('snapshot');
    signed.close();
  });

  it('a level2_batch client that applies snapshot + l2update ends with the venue book (REST level=2)', async () => {
    const c = await RecordingClient.connect(sim.endpoints.coinbase.ws);
    c.send({ type: 'subscribe', product_ids: ['ETH-USD'], channels: ['level2_batch'] });
    await c.until(() => c.json().filter((m) => m['type'] === 'l2update').length >= 20, 8000);
    sim.setRate({ venue: 'coinbase', symbol: 'ETH-USD', rate: 0 });
    const book = () => {
      const bids = new Map<string, string>();
      const asks = new Map<string, string>();
      for (const m of c.json<L2>()) {
        if (m.type === 'snapshot') {
          for (const [px, q] of m.bids) bids.set(px, q);
          for (const [px, q] of m.asks) asks.set(px, q);
        } else if (m.type === 'l2update') {
          for (const [side, px, q] of m.changes) {
            const s = side === 'buy' ? bids : asks;
            if (Number(q) === 0) s.delete(px);
            else s.set(px, q);
          }
        }
      }
      const sort = (m: Map<string, string>, desc: boolean) =>
        [...m].map(([px, q]) => [px, Number(q)]).sort((a, b) => (Number(a[0]) - Number(b[0])) * (desc ? -1 : 1));
      return { bids: sort(bids, true), asks: sort(asks, false) };
    };
    const deadline = Date.now() + 5000;
    let venue: { bids: [string, string, number][]; asks: [string, string, number][] } | undefined;
    let same = false;
    while (!same && Date.now() < deadline) {
      venue = (await (await rest('/products/ETH-USD/book?level=2')).json()) as typeof venue;
      const ours = book();
      same =
        JSON.stringify(ours) ===
        JSON.stringify({ bids: venue?.bids.map(([px, q]) => [px, Number(q)]), asks: venue?.asks.map(([px, q]) => [px, Number(q)]) });
      if (!same) await new Promise((r) => setTimeout(r, 50));
    }
    expect(same).toBe(true);
    sim.setRate({ venue: 'coinbase', symbol: 'ETH-USD', rate: 200 });
    c.close();
  });

  it('last_match is the last real trade; match trade ids continue from it without gaps; heartbeat carries last_trade_id and sequence', async () => {
    sim.setRate({ venue: 'coinbase', symbol: 'BTC-USD', rate: 0 });
    const watcher = await RecordingClient.connect(sim.endpoints.coinbase.ws);
    watcher.send({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['matches'] });
    await watcher.until(() => watcher.json().find((m) => m['type'] === 'subscriptions'));
    sim.step('coinbase', 'BTC-USD', 60);
    const truth = () => sim.rates().find((r) => r.venue === 'coinbase' && r.symbol === 'BTC-USD') as { trades: number; seq: number };
    const lastId = truth().trades;
    const earlier = await watcher.until(() => watcher.json().find((m) => m['type'] === 'match' && m['trade_id'] === lastId));

    const late = await RecordingClient.connect(sim.endpoints.coinbase.ws);
    late.send({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['matches', 'heartbeat'] });
    const lastMatch = await late.until(() => late.json().find((m) => m['type'] === 'last_match'));
    expect(lastMatch).toEqual({ ...earlier, type: 'last_match' });
    sim.step('coinbase', 'BTC-USD', 60);
    await late.until(() => late.json().find((m) => m['type'] === 'match' && m['trade_id'] === truth().trades));
    const ids = late.json().flatMap((m) => (m['type'] === 'match' ? [m['trade_id'] as number] : []));
    expect(ids).toEqual(Array.from({ length: truth().trades - lastId }, (_, i) => lastId + 1 + i));
    const beat = await late.until(() => late.json().find((m) => m['type'] === 'heartbeat'), 3000);
    expect(beat).toMatchObject({ product_id: 'BTC-USD', last_trade_id: truth().trades, sequence: truth().seq });
    sim.setRate({ venue: 'coinbase', symbol: 'BTC-USD', rate: 200 });
    watcher.close();
    late.close();
  });

  it('REST book: level 1 best bid/ask, level 2 aggregated with num-orders, level 3 orders; sequence, auction_mode, time', async () => {
    const l1 = (await (await rest('/products/BTC-USD/book')).json()) as Record<string, any>;
    expect(Object.keys(l1).sort()).toEqual(['asks', 'auction', 'auction_mode', 'bids', 'sequence', 'time']);
    expect([l1['bids'].length, l1['asks'].length]).toEqual([1, 1]);
    expect(l1['auction_mode']).toBe(false);
    sim.setRate({ venue: 'coinbase', symbol: 'BTC-USD', rate: 0 });
    const l2 = (await (await rest('/products/BTC-USD/book?level=2')).json()) as { sequence: number; bids: [string, string, number][] };
    const l3 = (await (await rest('/products/BTC-USD/book?level=3')).json()) as { sequence: number; bids: [string, string, string][] };
    sim.setRate({ venue: 'coinbase', symbol: 'BTC-USD', rate: 200 });
    expect(l3.sequence).toBe(l2.sequence);
    expect(l2.bids.length).toBeGreaterThan(50);
    const orders = new Map<string, { n: number; size: bigint }>();
    for (const [px, sz, id] of l3.bids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const o = orders.get(px) ?? { n: 0, size: 0n };
      orders.set(px, { n: o.n + 1, size: o.size + BigInt(Math.round(Number(sz) * 1e5)) });
    }
    for (const [px, sz, n] of l2.bids) expect(orders.get(px)).toEqual({ n, size: BigInt(Math.round(Number(sz) * 1e5)) });
    expect((await rest('/products/NOPE-USD/book')).status).toBe(404);
  });

  it('rejects an unknown product with the feed error shape', async () => {
    const c = await RecordingClient.connect(sim.endpoints.coinbase.ws);
    c.send({ type: 'subscribe', product_ids: ['NOPE-USD'], channels: ['level2_batch'] });
    const err = await c.until(() => c.json().find((m) => m['type'] === 'error'));
    expect(err).toEqual({ type: 'error', message: 'Failed to subscribe', reason: 'NOPE-USD is not a valid product' });
    c.close();
  });
});

describe('Coinbase Exchange connection rules', () => {
  it('closes a connection that sends no subscribe in time; a subscribed one stays', async () => {
    const sim = await startSimulator({
      controlPort: 0,
      ports: { coinbase: 0 },
      venues: ['coinbase'],
      rate: 20,
      symbols: ['BTC-USD'],
      venueOptions: { coinbase: { subscribeTimeoutMs: 500 } },
    });
    const idle = await RecordingClient.connect(sim.endpoints.coinbase.ws);
    const busy = await RecordingClient.connect(sim.endpoints.coinbase.ws);
    busy.send({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['heartbeat'] });
    const t0 = Date.now();
    await idle.closed(4000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    await busy.until(() => busy.json().find((m) => m['type'] === 'heartbeat'), 3000);
    expect(busy.closeCode).toBeUndefined();
    busy.close();
    await sim.stop();
  });

  it('per-event profile: level2_batch sends one l2update per book update', async () => {
    const sim = await startSimulator({
      controlPort: 0,
      ports: { coinbase: 0 },
      venues: ['coinbase'],
      rate: 0,
      symbols: ['BTC-USD'],
      venueOptions: { profile: 'per-event' },
    });
    const c = await RecordingClient.connect(sim.endpoints.coinbase.ws);
    c.send({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['level2_batch'] });
    await c.until(() => c.json().find((m) => m['type'] === 'snapshot'));
    const before = sim.rates()[0]?.seq as number;
    sim.step('coinbase', 'BTC-USD', 30);
    const updates = (sim.rates()[0]?.seq as number) - before;
    await c.until(() => c.json().filter((m) => m['type'] === 'l2update').length === updates);
    c.close();
    await sim.stop();
  });
});
