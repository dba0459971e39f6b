import { type Simulator, startSimulator } from '../simulator';
import { RecordingClient } from '../testing/sim-client';
import { KrakenBookClient } from './kraken-book-client';

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

describe('Kraken WebSocket v2 and REST as the venue behaves (docs.kraken.com, 2026)', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({
      controlPort: 0,
      ports: { kraken: 0 },
      venues: ['kraken'],
      rate: 300,
      seed: 5,
      symbols: ['BTC-USD', 'ETH-USDT', 'BTC-USDT', 'DOGE-USD', 'SOL-USD', 'ETH-USD'],
    });
  });
  afterAll(() => sim.stop());

  it('book: levels falling out of the depth are not announced, so a client that does not truncate fails the checksum while one that truncates verifies every message ("Book checksum (v2)": "you will not receive qty 0 for levels that fall out of scope")', async () => {
    const c = await RecordingClient.connect(sim.endpoints.kraken.ws);
    c.send({ method: 'subscribe', params: { channel: 'book', symbol: ['ETH/USDT'], depth: 10 } });
    await c.until((f) => f.length > 600, 15_000);
    const truncating = new KrakenBookClient(10);
    const naive = new KrakenBookClient(10, false);
    for (const f of c.frames) {
      truncating.apply(f.text);
      naive.apply(f.text);
    }
    expect(truncating.verified).toBeGreaterThan(500);
    expect(truncating.mismatches).toBe(0);
    expect(naive.mismatches).toBeGreaterThan(0);
    c.close();
  });

  it('book: snapshot and updates carry an RFC3339 timestamp and a checksum (docs: WebSocket v2 book); realistic updates may carry several levels', async () => {
    const c = await RecordingClient.connect(sim.endpoints.kraken.ws);
    c.send({ method: 'subscribe', params: { channel: 'book', symbol: ['BTC/USD'], depth: 25 } });
    await c.until((f) => f.length > 100, 10_000);
    const books = c.json().filter((m) => m['channel'] === 'book');
    expect(books[0]).toMatchObject({ type: 'snapshot', data: [{ symbol: 'BTC/USD', checksum: expect.any(Number) }] });
    expect(books[0]?.['data'][0].bids).toHaveLength(25);
    for (const b of books) expect(b['data'][0].timestamp).toMatch(RFC3339);
    expect(books.slice(1).some((b) => b['data'][0].bids.length + b['data'][0].asks.length > 1)).toBe(true);
    c.close();
  });

  it('heartbeat: sent automatically once subscribed, only after about a second without other data (docs: WebSocket v2 heartbeat)', async () => {
    const idle = await RecordingClient.connect(sim.endpoints.kraken.ws);
    const c = await RecordingClient.connect(sim.endpoints.kraken.ws);
    c.send({ method: 'subscribe', params: { channel: 'book', symbol: ['SOL/USD'], depth: 10 } });
    await c.until((f) => f.length > 150, 10_000);
    // A busy feed: no heartbeat between data frames.
    expect(c.frames.filter((f) => f.text === '{"channel":"heartbeat"}')).toHaveLength(0);
    sim.setRate({ venue: 'kraken', rate: 0 });
    try {
      await c.until((f) => f.filter((x) => x.text === '{"channel":"heartbeat"}').length >= 2, 8000);
      const lastData = c.frames.filter((f) => f.text.includes('"channel":"book"')).at(-1)?.at as number;
      const beats = c.frames.filter((f) => f.text === '{"channel":"heartbeat"}').map((f) => f.at);
      expect((beats[0] as number) - lastData).toBeGreaterThanOrEqual(900);
      expect((beats[1] as number) - (beats[0] as number)).toBeGreaterThanOrEqual(900);
      // A connection without subscriptions gets only the status greeting.
      expect(idle.json().map((m) => m['channel'])).toEqual(['status']);
    } finally {
      sim.setRate({ venue: 'kraken', rate: 300 });
      c.close();
      idle.close();
    }
  });

  it('trade: snapshot of the 50 most recent trades on subscribe (snapshot defaults to true), then updates continuing the trade ids (docs: WebSocket v2 trade)', async () => {
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        const truth = sim.truth.report().venues['kraken']?.['BTC-USDT'];
        if ((truth?.lastTradeId ?? 0) > 60) resolve(void clearInterval(t));
      }, 50);
    });
    sim.setRate({ venue: 'kraken', symbol: 'BTC-USDT', rate: 0 });
    const c = await RecordingClient.connect(sim.endpoints.kraken.ws);
    c.send({ method: 'subscribe', params: { channel: 'trade', symbol: ['BTC/USDT'] }, req_id: 3 });
    const snap = await c.until(() => c.json().find((m) => m['channel'] === 'trade'));
    const lastId = sim.truth.report().venues['kraken']?.['BTC-USDT']?.lastTradeId as number;
    expect(snap['type']).toBe('snapshot');
    const ids = snap['data'].map((t: { trade_id: number }) => t.trade_id);
    expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => lastId - 49 + i));
    expect(Object.keys(snap['data'][0]).sort()).toEqual(['ord_type', 'price', 'qty', 'side', 'symbol', 'timestamp', 'trade_id']);
    expect(snap['data'][0].timestamp).toMatch(RFC3339);
    sim.setRate({ venue: 'kraken', symbol: 'BTC-USDT', rate: 300 });
    await c.until(() => c.json().filter((m) => m['channel'] === 'trade').length > 5, 10_000);
    const next = c.json().filter((m) => m['channel'] === 'trade')[1] as Record<string, any>;
    expect(next['type']).toBe('update');
    expect(next['data'][0].trade_id).toBe(lastId + 1);
    // snapshot: false → updates only.
    const quiet = await RecordingClient.connect(sim.endpoints.kraken.ws);
    quiet.send({ method: 'subscribe', params: { channel: 'trade', symbol: ['BTC/USDT'], snapshot: false } });
    await quiet.until(() => quiet.json().some((m) => m['channel'] === 'trade'), 10_000);
    expect(quiet.json().filter((m) => m['channel'] === 'trade')[0]?.['type']).toBe('update');
    c.close();
    quiet.close();
  });

  it('ticker: snapshot on subscribe with the documented fields, bid/ask equal to the venue book (docs: WebSocket v2 ticker)', async () => {
    sim.setRate({ venue: 'kraken', symbol: 'ETH-USD', rate: 0 });
    try {
      const c = await RecordingClient.connect(sim.endpoints.kraken.ws);
      c.send({ method: 'subscribe', params: { channel: 'ticker', symbol: ['ETH/USD'] } });
      const t = await c.until(() => c.json().find((m) => m['channel'] === 'ticker'));
      expect(t['type']).toBe('snapshot');
      const d = t['data'][0];
      expect(Object.keys(d).sort()).toEqual(
        ['ask', 'ask_qty', 'bid', 'bid_qty', 'change', 'change_pct', 'high', 'last', 'low', 'symbol', 'timestamp', 'volume', 'vwap'].sort(),
      );
      const rest = (await (await fetch(`${sim.endpoints.kraken.rest}/0/public/Depth?pair=ETHUSD&count=1`)).json()) as any;
      expect(d.bid).toBe(Number(rest.result.XETHZUSD.bids[0][0]));
      expect(d.ask).toBe(Number(rest.result.XETHZUSD.asks[0][0]));
      expect(d.low).toBeLessThanOrEqual(d.high);
      c.close();
    } finally {
      sim.setRate({ venue: 'kraken', symbol: 'ETH-USD', rate: 300 });
    }
  });

  it('instrument: snapshot of assets and pairs with precisions and increments (docs: WebSocket v2 instrument)', async () => {
    const c = await RecordingClient.connect(sim.endpoints.kraken.ws);
    c.send({ method: 'subscribe', params: { channel: 'instrument' }, req_id: 79 });
    const snap = await c.until(() => c.json().find((m) => m['channel'] === 'instrument'));
    expect(c.json().find((m) => m['method'] === 'subscribe')).toMatchObject({ success: true, req_id: 79, result: { channel: 'instrument', snapshot: true } });
    expect(snap['type']).toBe('snapshot');
    expect(snap['data'].assets.map((a: { id: string }) => a.id)).toEqual(expect.arrayContaining(['BTC', 'USD', 'USDT', 'DOGE']));
    // BTC pairs: 0.1 price tick, 0.00001 quantity step (the simulator's instrument table).
    expect(snap['data'].pairs.find((p: { symbol: string }) => p.symbol === 'BTC/USD')).toMatchObject({
      base: 'BTC',
      quote: 'USD',
      status: 'online',
      price_precision: 1,
      price_increment: 0.1,
      qty_precision: 5,
      qty_increment: 0.00001,
    });
    c.close();
  });

  it("REST uses Kraken's own names: XBT/XDG, pair keys XXBTZUSD / XBTUSDT / XDGUSD, wsname XBT/USDT; Depth is keyed by the canonical pair name (docs: REST AssetPairs, Depth)", async () => {
    const pairs = (await (await fetch(`${sim.endpoints.kraken.rest}/0/public/AssetPairs`)).json()) as any;
    expect(pairs.error).toEqual([]);
    expect(Object.keys(pairs.result).sort()).toEqual(['SOLUSD', 'XBTUSDT', 'XDGUSD', 'XETHZUSD', 'XXBTZUSD', 'ETHUSDT'].sort());
    expect(pairs.result.XXBTZUSD).toMatchObject({ altname: 'XBTUSD', wsname: 'XBT/USD', base: 'XXBT', quote: 'ZUSD', pair_decimals: 1, lot_decimals: 5, tick_size: '0.1' });
    expect(pairs.result.XBTUSDT).toMatchObject({ altname: 'XBTUSDT', wsname: 'XBT/USDT', base: 'XXBT', quote: 'USDT' });
    expect(pairs.result.XDGUSD).toMatchObject({ altname: 'XDGUSD', wsname: 'XDG/USD', base: 'XXDG', quote: 'ZUSD' });
    expect(pairs.result.XXBTZUSD.ordermin).toEqual(expect.any(String));
    for (const asked of ['XBTUSD', 'XXBTZUSD']) {
      const depth = (await (await fetch(`${sim.endpoints.kraken.rest}/0/public/Depth?pair=${asked}&count=5`)).json()) as any;
      expect(Object.keys(depth.result)).toEqual(['XXBTZUSD']);
      expect(depth.result.XXBTZUSD.bids).toHaveLength(5);
    }
    const bad = (await (await fetch(`${sim.endpoints.kraken.rest}/0/public/Depth?pair=NOPE`)).json()) as any;
    expect(bad.error).toEqual(['EQuery:Unknown asset pair']);
  });
});

describe('Kraken framing by traffic profile', () => {
  it('realistic: several trades can share one message (docs: "Multiple trades may be batched in a single message"); per-event: one trade per message; no trade is lost either way', async () => {
    for (const profile of ['realistic', 'per-event'] as const) {
      const sim = await startSimulator({
        controlPort: 0,
        ports: { kraken: 0 },
        venues: ['kraken'],
        rate: 3000,
        seed: 9,
        symbols: ['BTC-USD'],
        venueOptions: { profile },
      });
      try {
        const c = await RecordingClient.connect(sim.endpoints.kraken.ws);
        c.send({ method: 'subscribe', params: { channel: 'trade', symbol: ['BTC/USD'], snapshot: false } });
        await c.until(() => c.json().filter((m) => m['channel'] === 'trade').length > 100, 10_000);
        const sizes = c
          .json()
          .filter((m) => m['channel'] === 'trade')
          .map((m) => m['data'].length as number);
        if (profile === 'realistic') expect(sizes.some((n) => n > 1)).toBe(true);
        else expect(new Set(sizes)).toEqual(new Set([1]));
        const ids = c
          .json()
          .filter((m) => m['channel'] === 'trade')
          .flatMap((m) => m['data'].map((t: { trade_id: number }) => t.trade_id));
        expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => (ids[0] as number) + i));
        c.close();
      } finally {
        await sim.stop();
      }
    }
  });
});
