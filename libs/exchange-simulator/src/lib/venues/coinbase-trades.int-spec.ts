import { type Simulator, startSimulator } from '../simulator';
import { RecordingClient } from '../testing/sim-client';

type RestTrade = { time: string; trade_id: number; price: string; size: string; side: 'buy' | 'sell' };

/** Exact value of a decimal string (no float rounding): `"6225.32000000"` and `"6225.32"` are equal. */
const value = (s: string) => {
  const [i, f = ''] = s.split('.');
  return `${BigInt(i as string)}.${f.replace(/0+$/, '')}`;
};

describe('Coinbase Exchange REST GET /products/<id>/trades', () => {
  let sim: Simulator;
  let matches: RecordingClient;
  const rest = (path: string) => fetch(`${sim.endpoints.coinbase.rest}${path}`);
  const page = async (query: string) => {
    const res = await rest(`/products/BTC-USD/trades${query}`);
    return {
      status: res.status,
      before: res.headers.get('cb-before'),
      after: res.headers.get('cb-after'),
      body: (await res.json()) as RestTrade[],
    };
  };

  beforeAll(async () => {
    sim = await startSimulator({
      controlPort: 0,
      ports: { coinbase: 0 },
      venues: ['coinbase'],
      symbols: ['BTC-USD'],
      rate: 0,
      seed: 11,
      venueOptions: { coinbase: { tradeHistory: 2000 } },
    });
    // A client on `matches` from before the first trade: what the feed sent is the oracle.
    matches = await RecordingClient.connect(sim.endpoints.coinbase.ws);
    matches.send({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['matches'] });
    await matches.until(() => matches.json().some((m) => m['type'] === 'subscriptions'), 5000);
    // Half of the trades while a client listens, half while nobody does: the REST history has both.
    while ((sim.truth.report().venues['coinbase']?.['BTC-USD']?.lastTradeId ?? 0) < 1500) sim.step('coinbase', 'BTC-USD', 200);
    await matches.until(() => matches.json().filter((m) => m['type'] === 'match').length >= 1500, 10_000);
    matches.ws.close();
    while ((sim.truth.report().venues['coinbase']?.['BTC-USD']?.lastTradeId ?? 0) < 2500) sim.step('coinbase', 'BTC-USD', 200);
  });
  afterAll(() => sim.stop());

  const last = () => sim.truth.report().venues['coinbase']?.['BTC-USD']?.lastTradeId as number;

  it('answers the latest trades, newest first, in the documented shape, equal to the matches the feed sent', async () => {
    const p = await page('?limit=5');
    expect(p.status).toBe(200);
    expect(p.body.map((t) => t.trade_id)).toEqual([last(), last() - 1, last() - 2, last() - 3, last() - 4]);
    for (const t of p.body) {
      expect(Object.keys(t).sort()).toEqual(['price', 'side', 'size', 'time', 'trade_id']);
      expect(t.price).toMatch(/^\d+\.\d{8}$/); // as the documented example "6225.32000000"
      expect(t.size).toMatch(/^\d+\.\d{8}$/);
      expect(new Date(t.time).toISOString()).toBe(t.time);
    }
    expect([p.before, p.after]).toEqual([String(last()), String(last() - 4)]);

    // The trades made while the client listened are the ones it received: same id, price, size, maker side, time.
    const sent = new Map(
      matches
        .json()
        .filter((m) => m['type'] === 'match')
        .map((m) => [m['trade_id'] as number, m]),
    );
    const older = await page('?after=1001&limit=100');
    expect(older.body.map((t) => t.trade_id)).toEqual(Array.from({ length: 100 }, (_, i) => 1000 - i));
    for (const t of older.body) {
      const m = sent.get(t.trade_id) as Record<string, any>;
      expect({ price: value(t.price), size: value(t.size), side: t.side, time: t.time }).toEqual({
        price: value(m.price),
        size: value(m.size),
        side: m.side,
        time: m.time,
      });
    }
  });

  it('pages with the CB-AFTER cursor to older trades and CB-BEFORE to newer ones, every id once', async () => {
    const seen: number[] = [];
    let cursor = '';
    for (let i = 0; i < 5; i++) {
      const p = await page(`?limit=300${cursor}`);
      seen.push(...p.body.map((t) => t.trade_id));
      cursor = `&after=${p.after}`;
    }
    expect(seen).toEqual(Array.from({ length: 1500 }, (_, i) => last() - i));

    // `before`: the page just newer than the cursor, still newest first.
    const newer = await page('?before=700&limit=3');
    expect(newer.body.map((t) => t.trade_id)).toEqual([703, 702, 701]);
    expect([newer.before, newer.after]).toEqual(['703', '701']);
    const next = await page(`?before=${newer.before}&limit=3`);
    expect(next.body.map((t) => t.trade_id)).toEqual([706, 705, 704]);
    // Both cursors: the trades strictly between them.
    expect((await page('?before=800&after=804')).body.map((t) => t.trade_id)).toEqual([803, 802, 801]);
  });

  it('keeps the newest tradeHistory trades, caps limit at 1000, refuses bad parameters and applies the REST faults', async () => {
    const first = last() - 2000 + 1;
    expect((await page(`?after=${first + 2}`)).body.map((t) => t.trade_id)).toEqual([first + 1, first]);
    expect((await page('?limit=5000')).body).toHaveLength(1000);
    expect((await page('?after=abc')).status).toBe(400);
    expect((await rest('/products/NOPE-USD/trades')).status).toBe(404);
    sim.faults.arm({ type: 'rest_429', venue: 'coinbase', symbol: 'BTC-USD', retryAfterSec: 1 });
    const limited = await rest('/products/BTC-USD/trades');
    expect([limited.status, limited.headers.get('retry-after'), await limited.json()]).toEqual([
      429,
      '1',
      { message: 'Public rate limit exceeded' },
    ]);
    expect((await page('?limit=1')).status).toBe(200);
  });
});
