import { type Simulator, type SimulatorOptions, startSimulator } from '../simulator';
import { RecordingClient } from '../testing/sim-client';

type Msg = Record<string, any>;
const onTopic = (c: RecordingClient, topic: string): Msg[] => c.json().filter((m) => m['topic'] === topic);

async function withSim(options: Partial<SimulatorOptions>, run: (sim: Simulator) => Promise<void>): Promise<void> {
  const sim = await startSimulator({
    controlPort: 0,
    ports: { bybit: 0 },
    venues: ['bybit'],
    rate: 300,
    seed: 17,
    symbols: ['BTC-USDT'],
    ...options,
  });
  try {
    await run(sim);
  } finally {
    await sim.stop();
  }
}

function medianGap(c: RecordingClient, topic: string): number {
  const at = c.frames.filter((f) => f.text.includes(`"topic":"${topic}"`)).map((f) => f.at);
  const gaps = at
    .slice(1)
    .map((t, i) => t - (at[i] as number))
    .sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)] as number;
}

describe('Bybit v5 as the venue behaves in 2026 (bybit-exchange.github.io/docs/v5)', () => {
  it('orderbook.1 sends snapshots only, and the same snapshot (same u) again after 3 s without a change (docs: orderbook, "Linear, inverse, spot level 1 data")', async () => {
    await withSim({}, async (sim) => {
      const c = await RecordingClient.connect(`${sim.endpoints.bybit.ws}`);
      c.send({ op: 'subscribe', args: ['orderbook.1.BTCUSDT'] });
      await c.until(() => onTopic(c, 'orderbook.1.BTCUSDT').length > 20, 10_000);
      sim.setRate({ venue: 'bybit', rate: 0 });
      const stopped = onTopic(c, 'orderbook.1.BTCUSDT').length;
      await c.until(() => onTopic(c, 'orderbook.1.BTCUSDT').length >= stopped + 2, 10_000);
      const all = onTopic(c, 'orderbook.1.BTCUSDT');
      expect(all.every((m) => m['type'] === 'snapshot' && m['data'].b.length === 1 && m['data'].a.length === 1)).toBe(true);
      const [a, b] = all.slice(-2) as [Msg, Msg];
      expect(b['data'].u).toBe(a['data'].u);
      expect(b['data']).toMatchObject({ b: a['data'].b, a: a['data'].a });
      const times = c.frames.filter((f) => f.text.includes('"orderbook.1.BTCUSDT"')).map((f) => f.at);
      expect((times.at(-1) as number) - (times.at(-2) as number)).toBeGreaterThanOrEqual(2800);
      c.close();
    });
  });

  it('deeper books: a snapshot may arrive at any time with a continuing u and replaces the book (docs: "If you receive a new snapshot message, you will have to reset your local orderbook"); pushes on the documented cadence (50: 20 ms, 200: 200 ms on spot)', async () => {
    await withSim({ venueOptions: { bybit: { resnapshotEveryMs: 700 } } }, async (sim) => {
      const c = await RecordingClient.connect(sim.endpoints.bybit.ws);
      c.send({ op: 'subscribe', args: ['orderbook.50.BTCUSDT', 'orderbook.200.BTCUSDT'] });
      await c.until(() => onTopic(c, 'orderbook.200.BTCUSDT').length > 12, 15_000);
      const fifty = onTopic(c, 'orderbook.50.BTCUSDT');
      const later = fifty.slice(1).filter((m) => m['type'] === 'snapshot');
      expect(later.length).toBeGreaterThan(0);
      for (let i = 1; i < fifty.length; i++) expect(fifty[i]?.['data'].u).toBe(fifty[i - 1]?.['data'].u + 1);
      expect(later.every((m) => m['data'].u > 1 && m['data'].b.length === 50)).toBe(true);
      expect(medianGap(c, 'orderbook.50.BTCUSDT')).toBeGreaterThanOrEqual(15);
      expect(medianGap(c, 'orderbook.200.BTCUSDT')).toBeGreaterThanOrEqual(150);
      c.close();
    });
  });

  it('spot: at most 10 topics per subscribe request ("args size >10"), and the spot ack says ret_msg "subscribe" (docs: WebSocket connect; bybit issues)', async () => {
    await withSim({ rate: 0 }, async (sim) => {
      const c = await RecordingClient.connect(sim.endpoints.bybit.ws);
      const eleven = Array.from({ length: 11 }, (_, i) => (i % 2 ? `publicTrade.BTCUSDT` : `tickers.BTCUSDT`));
      c.send({ op: 'subscribe', args: eleven, req_id: 'a' });
      c.send({ op: 'subscribe', args: eleven.slice(0, 10), req_id: 'b' });
      await c.until(() => c.json().length >= 2);
      expect(c.json()[0]).toMatchObject({ success: false, ret_msg: 'args size >10', op: 'subscribe' });
      expect(c.json()[1]).toMatchObject({ success: true, ret_msg: 'subscribe', op: 'subscribe', req_id: 'b' });
      // The linear endpoint takes more than 10 and acks with an empty ret_msg.
      const l = await RecordingClient.connect(sim.endpoints.bybit.ws.replace('/spot', '/linear'));
      l.send({ op: 'subscribe', args: eleven });
      await l.until(() => l.json().length >= 1);
      expect(l.json()[0]).toMatchObject({ success: true, ret_msg: '', op: 'subscribe' });
      c.close();
      l.close();
    });
  });

  it('publicTrade: several trades per message, each with T, s, S, v, p, L, i, BT, RPI and seq; trade ids continue without loss (docs: public trade)', async () => {
    await withSim({ rate: 3000 }, async (sim) => {
      const c = await RecordingClient.connect(sim.endpoints.bybit.ws);
      c.send({ op: 'subscribe', args: ['publicTrade.BTCUSDT'] });
      await c.until(() => onTopic(c, 'publicTrade.BTCUSDT').length > 50, 10_000);
      const msgs = onTopic(c, 'publicTrade.BTCUSDT');
      expect(msgs.some((m) => m['data'].length > 1)).toBe(true);
      const trades = msgs.flatMap((m) => m['data']);
      expect(Object.keys(trades[0]).sort()).toEqual(['BT', 'L', 'RPI', 'S', 'T', 'i', 'p', 's', 'seq', 'v']);
      const ids = trades.map((t) => Number(t.i));
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => (ids[0] as number) + i));
      expect(trades.every((t, i) => i === 0 || t.seq >= trades[i - 1].seq)).toBe(true);
      c.close();
    });
  });

  it('linear tickers: a snapshot, then deltas carrying only the fields that changed (docs: ticker); spot tickers are snapshots', async () => {
    await withSim({}, async (sim) => {
      const l = await RecordingClient.connect(sim.endpoints.bybit.ws.replace('/spot', '/linear'));
      const s = await RecordingClient.connect(sim.endpoints.bybit.ws);
      l.send({ op: 'subscribe', args: ['tickers.BTCUSDT'] });
      s.send({ op: 'subscribe', args: ['tickers.BTCUSDT'] });
      await l.until(() => onTopic(l, 'tickers.BTCUSDT').length > 10, 10_000);
      await s.until(() => onTopic(s, 'tickers.BTCUSDT').length > 3, 10_000);
      const lin = onTopic(l, 'tickers.BTCUSDT');
      expect(lin[0]?.['type']).toBe('snapshot');
      expect(lin[0]?.['data']).toHaveProperty('bid1Price');
      const deltas = lin.slice(1);
      expect(deltas.every((m) => m['type'] === 'delta' && m['data'].symbol === 'BTCUSDT')).toBe(true);
      expect(deltas.some((m) => Object.keys(m['data']).length < Object.keys(lin[0]?.['data']).length)).toBe(true);
      // Applying the deltas onto the snapshot gives a full ticker whose fields all exist in the snapshot.
      const merged = deltas.reduce((acc, m) => ({ ...acc, ...m['data'] }), lin[0]?.['data'] as Msg);
      expect(Object.keys(merged).sort()).toEqual(Object.keys(lin[0]?.['data']).sort());
      expect(onTopic(s, 'tickers.BTCUSDT').every((m) => m['type'] === 'snapshot')).toBe(true);
      l.close();
      s.close();
    });
  });

  it('per-event profile: one trade per publicTrade message (stress mode)', async () => {
    await withSim({ rate: 1000, venueOptions: { profile: 'per-event' } }, async (sim) => {
      const c = await RecordingClient.connect(sim.endpoints.bybit.ws);
      c.send({ op: 'subscribe', args: ['publicTrade.BTCUSDT'] });
      await c.until(() => onTopic(c, 'publicTrade.BTCUSDT').length > 50, 10_000);
      expect(new Set(onTopic(c, 'publicTrade.BTCUSDT').map((m) => m['data'].length))).toEqual(new Set([1]));
      c.close();
    });
  });

  it('REST by category (docs: instruments-info, orderbook): linear perpetuals with contractType and qtyStep, linear book limit up to 500 (default 25), spot up to 200 (default 1), category required', async () => {
    await withSim({ rate: 0 }, async (sim) => {
      const get = async (path: string) => (await (await fetch(`${sim.endpoints.bybit.rest}${path}`)).json()) as any;
      const linear = await get('/v5/market/instruments-info?category=linear&limit=1000');
      expect(linear.result.nextPageCursor).toBe('');
      expect(linear.result.list[0]).toMatchObject({
        symbol: 'BTCUSDT',
        contractType: 'LinearPerpetual',
        status: 'Trading',
        baseCoin: 'BTC',
        quoteCoin: 'USDT',
        settleCoin: 'USDT',
        priceFilter: { tickSize: '0.1' },
        lotSizeFilter: { qtyStep: '0.00001' },
      });
      const spot = await get('/v5/market/instruments-info?category=spot&symbol=BTCUSDT');
      expect(spot.result.list).toHaveLength(1);
      expect(spot.result.list[0]).toMatchObject({
        symbol: 'BTCUSDT',
        lotSizeFilter: { basePrecision: '0.00001' },
        priceFilter: { tickSize: '0.1' },
      });
      expect(spot.result.list[0].contractType).toBeUndefined();
      expect((await get('/v5/market/instruments-info')).retCode).toBe(10001);
      const book = await get('/v5/market/orderbook?category=linear&symbol=BTCUSDT');
      const truth = (await (await fetch(`${sim.controlUrl}/api/book/bybit/BTC-USDT?depth=25`)).json()) as any;
      expect([book.result.b, book.result.a]).toEqual([truth.bids, truth.asks]);
      // Beyond the limits: linear answers at most 500 levels (the whole synthetic side is shallower), spot at most 200.
      const whole = (await (await fetch(`${sim.controlUrl}/api/book/bybit/BTC-USDT?depth=500`)).json()) as any;
      expect((await get('/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=1000')).result.b).toEqual(whole.bids);
      expect((await get('/v5/market/orderbook?category=spot&symbol=BTCUSDT')).result.b).toHaveLength(1);
      expect((await get('/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=500')).result.b).toEqual(whole.bids.slice(0, 200));
      expect((await get('/v5/market/orderbook?symbol=BTCUSDT')).retCode).toBe(10001);
    });
  });
});
