import { type Simulator, startSimulator } from './simulator';
import { RecordingClient, until } from './testing/sim-client';

type Book = { venue: string; symbol: string; seq: number; bids: [string, string][]; asks: [string, string][] };

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const json = async (url: string): Promise<any> => (await fetch(url)).json();
/** Decimal strings compared by value: Binance writes 8 decimals, the API the instrument's own. */
const canon = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
const canonSide = (levels: [string, string][]) => levels.map(([p, q]) => [canon(p), canon(q)]);

describe('control API: the book, a market standing still, distinct trades sent', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({
      controlPort: 0,
      ports: { binance: 0, coinbase: 0 },
      venues: ['binance', 'coinbase'],
      rate: 300,
      seed: 21,
    });
  });
  afterAll(() => sim.stop());
  afterEach(() => sim.setRate({ rate: 300 }));

  it('GET /api/book equals a book kept from the venue feed (snapshot + diffs) once rates are 0, and nothing moves then', async () => {
    const base = sim.endpoints.binance.rest.replace('http', 'ws');
    const c = await RecordingClient.connect(`${base}/stream?streams=btcusdt@depth@100ms`);
    const cb = await RecordingClient.connect(sim.endpoints.coinbase.ws);
    cb.send({ type: 'subscribe', product_ids: ['BTC-USDT'], channels: ['level2', 'heartbeat'] });
    await c.until((f) => f.length >= 2);
    // Binance's documented book sync: REST snapshot, then the diffs with u > lastUpdateId.
    const snap = (await json(`${sim.endpoints.binance.rest}/api/v3/depth?symbol=BTCUSDT&limit=5000`)) as {
      lastUpdateId: number;
      bids: [string, string][];
      asks: [string, string][];
    };
    await post(`${sim.controlUrl}/api/rates`, { rate: 0 });
    const frozen = (await json(`${sim.controlUrl}/api/book/binance/BTC-USDT`)) as Book;
    const diffs = () => c.json().map((m) => m['data'] as { U: number; u: number; b: [string, string][]; a: [string, string][] });
    await c.until(() => diffs().at(-1)?.u === frozen.seq, 5000);

    const bids = new Map(snap.bids.map(([p, q]) => [canon(p), canon(q)]));
    const asks = new Map(snap.asks.map(([p, q]) => [canon(p), canon(q)]));
    let applied = 0;
    for (const d of diffs()) {
      if (d.u <= snap.lastUpdateId) continue;
      if (applied === 0) expect(d.U).toBeLessThanOrEqual(snap.lastUpdateId + 1);
      applied++;
      for (const [side, levels] of [
        [bids, d.b],
        [asks, d.a],
      ] as const) {
        for (const [p, q] of levels) {
          if (Number(q) === 0) side.delete(canon(p));
          else side.set(canon(p), canon(q));
        }
      }
    }
    expect(applied).toBeGreaterThan(0);
    const sorted = (m: Map<string, string>, desc: boolean) =>
      [...m].sort((x, y) => (desc ? Number(y[0]) - Number(x[0]) : Number(x[0]) - Number(y[0])));
    // The top 1000 levels: deeper than that a Binance client only knows what its snapshot (at
    // most 5000 levels) and later diffs told it, as on the real venue.
    const book = (await json(`${sim.controlUrl}/api/book/binance/BTC-USDT?depth=1000`)) as Book;
    expect(book).toMatchObject({ venue: 'binance', symbol: 'BTC-USDT', seq: frozen.seq });
    expect(book.bids.length).toBeGreaterThan(50);
    expect(canonSide(book.bids)).toEqual(sorted(bids, true).slice(0, 1000));
    expect(canonSide(book.asks)).toEqual(sorted(asks, false).slice(0, 1000));
    // Rendered with the instrument's decimals (BTC: 1 price decimal, 5 size decimals), best first.
    expect(book.bids[0]?.[0]).toMatch(/^\d+\.\d$/);
    expect(book.bids[0]?.[1]).toMatch(/^\d+\.\d{5}$/);
    expect(Number(book.bids[0]?.[0])).toBeGreaterThan(Number(book.bids[1]?.[0]));
    expect(Number(book.asks[0]?.[0])).toBeLessThan(Number(book.asks[1]?.[0]));
    const top = (await json(`${sim.controlUrl}/api/book/binance/BTCUSDT?depth=5`)) as Book;
    expect(top.bids).toEqual(book.bids.slice(0, 5));
    expect(top.asks).toEqual(book.asks.slice(0, 5));

    // Standing still: over the next 1.5 s no market event, no book change, no frame but heartbeats.
    const truth0 = await json(`${sim.controlUrl}/api/ground-truth`);
    const n0 = c.frames.length;
    const cb0 = cb.frames.length;
    await new Promise((r) => setTimeout(r, 1500)); // observing an absence: a fixed window is the point
    const truth1 = await json(`${sim.controlUrl}/api/ground-truth`);
    expect(truth1.eventsGenerated).toBe(truth0.eventsGenerated);
    expect(c.frames.length).toBe(n0);
    expect(new Set(cb.frames.slice(cb0).map((f) => JSON.parse(f.text).type as string))).toEqual(
      new Set(cb.frames.length > cb0 ? ['heartbeat'] : []),
    );
    expect(((await json(`${sim.controlUrl}/api/book/binance/BTC-USDT`)) as Book).seq).toBe(frozen.seq);
    c.close();
    cb.close();
  });

  it('GET /api/book answers 400 naming the bad parameter', async () => {
    const cases: [string, RegExp][] = [
      ['/api/book/ftx/BTC-USDT', /^venue: expected one of binance, coinbase, got "ftx"/],
      ['/api/book/okx/BTC-USDT', /^venue: expected one of binance, coinbase, got "okx"/],
      ['/api/book/binance/DOGE-EUR', /^symbol: expected one of BTC-USDT, ETH-USDT, got "DOGE-EUR"/],
      ['/api/book/binance/BTC-USDT?depth=0', /^depth: expected an integer from 1 to 5000, got "0"/],
      ['/api/book/binance/BTC-USDT?depth=5001', /^depth: expected an integer from 1 to 5000/],
      ['/api/book/binance/BTC-USDT?depth=1.5', /^depth: expected an integer from 1 to 5000/],
      ['/api/book/binance/BTC-USDT?depth=ten', /^depth: expected an integer from 1 to 5000/],
    ];
    for (const [path, error] of cases) {
      const res = await fetch(`${sim.controlUrl}${path}`);
      expect([path, res.status]).toEqual([path, 400]);
      expect(((await res.json()) as { error: string }).error).toMatch(error);
    }
    expect((await fetch(`${sim.controlUrl}/api/book/coinbase/ETH-USDT?depth=5000`)).status).toBe(200);
  });

  it('tradesSent counts the distinct trade ids that went out on at least one connection', async () => {
    // Trades happen before anyone subscribes: they never go out and are not counted.
    await until(async () => ((await json(`${sim.controlUrl}/api/ground-truth`)).venues.binance?.['ETH-USDT']?.lastTradeId ?? 0) > 20);
    const base = sim.endpoints.binance.rest.replace('http', 'ws');
    const a = await RecordingClient.connect(`${base}/ws/ethusdt@trade`);
    const b = await RecordingClient.connect(`${base}/stream?streams=ethusdt@trade/ethusdt@aggTrade`);
    await a.until(() => a.json().length >= 40, 10_000);
    await post(`${sim.controlUrl}/api/rates`, { venue: 'binance', rate: 0 });
    const truth = (await json(`${sim.controlUrl}/api/ground-truth`)).venues.binance['ETH-USDT'];
    const received = () =>
      new Set([...a.json().map((m) => m['t'] as number), ...b.json().flatMap((m) => (m['data'].e === 'trade' ? [m['data'].t] : []))]);
    await until(() => received().has(truth.lastTradeId), 5000, 'the last trade to arrive');
    const after = (await json(`${sim.controlUrl}/api/ground-truth`)).venues.binance['ETH-USDT'];
    expect(after.tradesSent).toBe(received().size);
    // Not simply every trade generated: those before the subscriptions are left out.
    expect(after.lastTradeId - after.firstTradeId + 1).toBeGreaterThan(after.tradesSent);
    a.close();
    b.close();
  });

  it('tradesSent matches the distinct trades a subscriber received on every venue (batched trade frames included)', async () => {
    const all = await startSimulator({
      controlPort: 0,
      ports: { coinbase: 0, kraken: 0, okx: 0, bybit: 0 },
      venues: ['coinbase', 'kraken', 'okx', 'bybit'],
      rate: 400,
      seed: 8,
    });
    try {
      const clients = {
        coinbase: await RecordingClient.connect(all.endpoints.coinbase.ws),
        kraken: await RecordingClient.connect(all.endpoints.kraken.ws),
        okx: await RecordingClient.connect(all.endpoints.okx.ws),
        bybit: await RecordingClient.connect(all.endpoints.bybit.ws),
      };
      clients.coinbase.send({ type: 'subscribe', product_ids: ['ETH-USDT'], channels: ['matches'] });
      clients.kraken.send({ method: 'subscribe', params: { channel: 'trade', symbol: ['ETH/USDT'], snapshot: false } });
      clients.okx.send({ op: 'subscribe', args: [{ channel: 'trades', instId: 'ETH-USDT' }] });
      clients.bybit.send({ op: 'subscribe', args: ['publicTrade.ETHUSDT'] });
      // Trade ids as each venue writes them (a Coinbase last_match is a trade that went out too).
      const ids: Record<keyof typeof clients, () => number[]> = {
        coinbase: () =>
          clients.coinbase.json().flatMap((m) => (m['type'] === 'match' || m['type'] === 'last_match' ? [Number(m['trade_id'])] : [])),
        kraken: () =>
          clients.kraken.json().flatMap((m) => (m['channel'] === 'trade' ? (m['data'] as any[]).map((d) => Number(d.trade_id)) : [])),
        okx: () =>
          clients.okx
            .json()
            .flatMap((m) => (m['arg']?.channel === 'trades' && m['data'] ? (m['data'] as any[]).map((d) => Number(d.tradeId)) : [])),
        bybit: () =>
          clients.bybit.json().flatMap((m) => (m['topic'] === 'publicTrade.ETHUSDT' ? (m['data'] as any[]).map((d) => Number(d.i)) : [])),
      };
      const venues = Object.keys(clients) as (keyof typeof clients)[];
      await until(() => venues.every((v) => ids[v]().length >= 20), 15_000, '20 trades on every venue');
      all.setRate({ rate: 0 });
      const truth = (await json(`${all.controlUrl}/api/ground-truth`)).venues;
      await until(() => venues.every((v) => ids[v]().includes(truth[v]['ETH-USDT'].lastTradeId)), 10_000, 'the last trades to arrive');
      const after = (await json(`${all.controlUrl}/api/ground-truth`)).venues;
      expect(Object.fromEntries(venues.map((v) => [v, after[v]['ETH-USDT'].tradesSent]))).toEqual(
        Object.fromEntries(venues.map((v) => [v, new Set(ids[v]()).size])),
      );
      for (const c of Object.values(clients)) c.close();
    } finally {
      await all.stop();
    }
  }, 40_000);

  it('tradesSent includes earlier trades sent again on subscribe (Kraken trade snapshot, Coinbase last_match)', async () => {
    const sim2 = await startSimulator({ controlPort: 0, ports: { coinbase: 0, kraken: 0 }, venues: ['coinbase', 'kraken'], rate: 300, seed: 9 });
    try {
      // Trades are made while nobody listens, then the markets stop: nothing went out yet.
      await until(async () => (await json(`${sim2.controlUrl}/api/ground-truth`)).venues.kraken?.['ETH-USDT']?.lastTradeId > 5, 10_000, 'trades made');
      sim2.setRate({ rate: 0 });
      const before = (await json(`${sim2.controlUrl}/api/ground-truth`)).venues;
      expect(before.kraken['ETH-USDT'].tradesSent ?? 0).toBe(0);
      const kraken = await RecordingClient.connect(sim2.endpoints.kraken.ws);
      const coinbase = await RecordingClient.connect(sim2.endpoints.coinbase.ws);
      kraken.send({ method: 'subscribe', params: { channel: 'trade', symbol: ['ETH/USDT'], snapshot: true } });
      coinbase.send({ type: 'subscribe', product_ids: ['ETH-USDT'], channels: ['matches'] });
      const snapshotIds = () =>
        kraken.json().flatMap((m) => (m['channel'] === 'trade' ? (m['data'] as any[]).map((d) => Number(d.trade_id)) : []));
      const lastMatch = () => coinbase.json().filter((m) => m['type'] === 'last_match');
      await until(() => snapshotIds().length > 0 && lastMatch().length === 1, 10_000, 'the trade snapshot and last_match');
      const after = (await json(`${sim2.controlUrl}/api/ground-truth`)).venues;
      expect(after.kraken['ETH-USDT'].tradesSent).toBe(new Set(snapshotIds()).size);
      expect(after.coinbase['ETH-USDT'].tradesSent).toBe(1);
      kraken.close();
      coinbase.close();
    } finally {
      await sim2.stop();
    }
  }, 30_000);
});
