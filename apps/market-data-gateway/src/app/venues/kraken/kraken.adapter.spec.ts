import type { RestClient } from '../../rest/rest.types';
import type { MetadataSocket, SessionContext } from '../venue-adapter';
import { KrakenAdapter } from './kraken.adapter';
import { GuideBook, krakenHarness, v2BookFrame } from './kraken-fixtures';
import { readInstrumentFrame, resolveKraken } from './kraken-instruments';

type Lvl = [string, string];
const flush = () => new Promise<void>((r) => setImmediate(r));

/** Ten levels a side around 100 (prices with 2 decimals, quantities with 8 and trailing zeros). */
function ladder(mid: number, n = 10): { bids: Lvl[]; asks: Lvl[] } {
  const bids: Lvl[] = [];
  const asks: Lvl[] = [];
  for (let i = 0; i < n; i++) {
    bids.push([(mid - 0.5 - i).toFixed(2), `${i + 1}.50000000`]);
    asks.push([(mid + 0.5 + i).toFixed(2), `${i + 2}.25000000`]);
  }
  return { bids, asks };
}

describe('Kraken WebSocket v2 book: exact digits, checksum on every message, truncation to the depth', () => {
  it('keeps JSON-number digits exactly ("0.05120" is not "0.0512") and verifies the checksum they produce', () => {
    const h = krakenHarness(['BTC/USD'], { channels: ['l2'] });
    const guide = new GuideBook(10);
    const bids: Lvl[] = [['0.05110', '0.00000500']];
    const asks: Lvl[] = [['0.05120', '0.00000500']];
    h.frame(v2BookFrame('snapshot', 'BTC/USD', bids, asks, guide.apply(bids, asks, true)));
    const upd: Lvl[] = [['0.05130', '1.10000000']];
    h.frame(v2BookFrame('update', 'BTC/USD', [], upd, guide.apply([], upd)));
    const book = h.ctx.books.get('BTC-USD');
    expect(book?.state).toBe('live');
    expect(book?.top('ask', 10)).toEqual([
      ['0.05120', '0.00000500'],
      ['0.05130', '1.10000000'],
    ]);
    expect(book?.counters).toMatchObject({ checksumOk: 2, checksumMismatch: 0 }); // the snapshot's and the update's
    // Published as received, never re-rendered through a float.
    expect(h.l2s.map((m) => [m.snapshot, m.bids, m.asks])).toEqual([
      [true, bids, asks],
      [false, [], upd],
    ]);
    // The same frame parsed through floats would have lost the zero and failed the checksum.
    const floatDigits = JSON.parse(v2BookFrame('update', 'X', [], upd, 0)).data[0].asks[0].price;
    expect(String(floatDigits)).toBe('0.0513');
  });

  it('truncates to the subscribed depth after every update: a level pushed out is not announced, and a client that kept it would fail the checksum', () => {
    const run = (truncate: boolean) => {
      const wrap = (ctx: SessionContext): SessionContext =>
        truncate
          ? ctx
          : Object.assign(Object.create(ctx) as SessionContext, {
              book: (s: Parameters<SessionContext['book']>[0], o: Parameters<SessionContext['book']>[1]) =>
                ctx.book(s, { ...o, truncateTo: undefined }),
            });
      const h = krakenHarness(['ETH/USD'], { channels: ['l2'], depth: 10, wrap });
      const guide = new GuideBook(10);
      const { bids, asks } = ladder(100);
      h.frame(v2BookFrame('snapshot', 'ETH/USD', bids, asks, guide.apply(bids, asks, true)));
      // Three better bids inserted: Kraken sends only them; the 3 worst bids leave the depth silently.
      for (const px of ['99.60', '99.70', '99.80']) {
        const b: Lvl[] = [[px, '0.10000000']];
        h.frame(v2BookFrame('update', 'ETH/USD', b, [], guide.apply(b, [])));
      }
      // Then the best bids go away: with truncation the book has 7 levels left, as Kraken's.
      const gone: Lvl[] = [
        ['99.80', '0'],
        ['99.70', '0.00000000'],
        ['99.60', '0'],
      ];
      h.frame(v2BookFrame('update', 'ETH/USD', gone, [], guide.apply(gone, [])));
      return h;
    };
    const good = run(true);
    expect(good.ctx.books.get('ETH-USD')?.counters).toMatchObject({ checksumOk: 5, checksumMismatch: 0, resyncs: 0 }); // snapshot + 4 updates
    expect(good.ctx.books.get('ETH-USD')?.top('bid', 20)).toHaveLength(7);
    const naive = run(false);
    expect(naive.ctx.books.get('ETH-USD')?.counters.checksumMismatch).toBe(1);
    expect(naive.statesOf('ETH-USD')).toEqual(['connected', 'checksum_mismatch', 'resync']);
  });

  it('a checksum mismatch resyncs that symbol alone: status checksum_mismatch → resync → connected, its book resubscribed, the other symbol untouched', async () => {
    const h = krakenHarness(['BTC/USD', 'ETH/USD'], { channels: ['l2'] });
    const g = { 'BTC/USD': new GuideBook(10), 'ETH/USD': new GuideBook(10) };
    for (const [sym, mid] of [
      ['BTC/USD', 100],
      ['ETH/USD', 50],
    ] as const) {
      const { bids, asks } = ladder(mid);
      h.frame(v2BookFrame('snapshot', sym, bids, asks, g[sym].apply(bids, asks, true)));
    }
    const lost: Lvl[] = [['100.50', '9.00000000']];
    g['BTC/USD'].apply([], lost); // Kraken applied an update this client never got
    const next: Lvl[] = [['101.50', '1.00000000']];
    h.frame(v2BookFrame('update', 'BTC/USD', [], next, g['BTC/USD'].apply([], next)));
    expect(h.statesOf('BTC-USD')).toEqual(['connected', 'checksum_mismatch', 'resync']);
    expect(h.sent.map((s) => JSON.parse(s))).toEqual([
      { method: 'unsubscribe', params: { channel: 'book', symbol: ['BTC/USD'], depth: 10 }, req_id: 5 },
      { method: 'subscribe', params: { channel: 'book', symbol: ['BTC/USD'], depth: 10, snapshot: true }, req_id: 5 },
    ]);
    // The other symbol keeps flowing meanwhile; updates of the resyncing one are held back.
    const eth: Lvl[] = [['49.40', '3.00000000']];
    h.frame(v2BookFrame('update', 'ETH/USD', eth, [], g['ETH/USD'].apply(eth, [])));
    const stale: Lvl[] = [['98.50', '7.00000000']];
    h.frame(v2BookFrame('update', 'BTC/USD', stale, [], g['BTC/USD'].apply(stale, [])));
    // The resubscription's snapshot replaces the book; later updates apply on top of it.
    const snap = g['BTC/USD'];
    h.frame(v2BookFrame('snapshot', 'BTC/USD', snap.side('bid'), snap.side('ask'), snap.apply([], [])));
    const after: Lvl[] = [['99.55', '2.00000000']];
    h.frame(v2BookFrame('update', 'BTC/USD', after, [], g['BTC/USD'].apply(after, [])));
    await flush();
    expect(h.statesOf('BTC-USD')).toEqual(['connected', 'checksum_mismatch', 'resync', 'connected']);
    expect(h.statesOf('ETH-USD')).toEqual(['connected']);
    const btc = h.ctx.books.get('BTC-USD');
    expect(btc?.state).toBe('live');
    expect(btc?.top('bid', 10)).toEqual(g['BTC/USD'].side('bid'));
    expect(btc?.top('ask', 10)).toEqual(g['BTC/USD'].side('ask'));
    // Downstream never saw the held-back update as a delta.
    expect(
      h.l2s
        .filter((m) => m.symbol === 'BTC-USD')
        .map((m) => (m.snapshot ? 'S' : 'D'))
        .join(''),
    ).toBe('SSD');
    expect(h.sent).toHaveLength(2); // one resubscription, not one per held-back update
  });

  it('never loads a snapshot whose own checksum does not verify (v2 snapshots carry one): checksum_mismatch → resync, counted with the checksums', () => {
    const h = krakenHarness(['BTC/USD'], { channels: ['l2'] });
    const { bids, asks } = ladder(100);
    const good = new GuideBook(10).apply(bids, asks, true);
    h.frame(v2BookFrame('snapshot', 'BTC/USD', bids, asks, (good ^ 1) >>> 0));
    expect(h.ctx.books.get('BTC-USD')?.state).toBe('resyncing');
    expect(h.l2s).toHaveLength(0);
    expect(h.statesOf('BTC-USD')).toEqual(['checksum_mismatch', 'resync']);
    expect(h.ctx.books.get('BTC-USD')?.counters).toMatchObject({ checksumMismatch: 1, checksumOk: 0 });
    expect(h.ctx.parseErrors).toBe(0); // a wrong book is not a malformed frame
    // The resubscription goes through the connection's pacer.
    expect(h.paced.map((s) => JSON.parse(s).method)).toEqual(['unsubscribe', 'subscribe']);
    // The good snapshot that follows is verified too (snapshots count in checksumOk).
    h.frame(v2BookFrame('snapshot', 'BTC/USD', bids, asks, good));
    expect(h.statesOf('BTC-USD')).toEqual(['checksum_mismatch', 'resync', 'connected']);
    expect(h.ctx.books.get('BTC-USD')?.counters).toMatchObject({ checksumMismatch: 1, checksumOk: 1 });
  });

  it('while a resubscription is outstanding, held updates do not ask for another one', async () => {
    const h = krakenHarness(['BTC/USD'], { channels: ['l2'] });
    const g = new GuideBook(10);
    const { bids, asks } = ladder(100);
    h.frame(v2BookFrame('snapshot', 'BTC/USD', bids, asks, (g.apply(bids, asks, true) ^ 1) >>> 0));
    for (let i = 0; i < 20; i++) {
      const b: Lvl[] = [[(90 - i).toFixed(2), '1.00000000']];
      h.frame(v2BookFrame('update', 'BTC/USD', b, [], g.apply(b, [])));
      await flush();
    }
    expect(h.sent).toHaveLength(2); // one unsubscribe + subscribe, not one per held update
  });
});

describe('Kraken WebSocket v2 trade, ticker, heartbeat, status, malformed frames', () => {
  it('publishes every trade of a message (snapshot and update), taker side, digits and ids as sent', () => {
    const h = krakenHarness(['BTC/USD'], { channels: ['trades'] });
    const frame = (type: string, ids: number[]) =>
      `{"channel":"trade","type":"${type}","data":[${ids
        .map(
          (id, i) =>
            `{"symbol":"BTC/USD","side":"${i % 2 ? 'sell' : 'buy'}","price":42000.10,"qty":0.00010000,"ord_type":"market","trade_id":${id},"timestamp":"2026-01-02T03:04:05.123456Z"}`,
        )
        .join(',')}]}`;
    h.frame(frame('snapshot', [1, 2, 3]));
    h.frame(frame('update', [3, 4, 5, 6])); // 3 again (snapshot overlap): published once
    expect(h.trades.map((t) => t.id)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(h.trades[0]).toMatchObject({
      price: '42000.10',
      size: '0.00010000',
      side: 'buy',
      ts: Date.parse('2026-01-02T03:04:05.123Z'),
    });
    expect(h.trades[3]).toMatchObject({ id: '4', side: 'sell' });
    expect(h.ctx.parseErrors).toBe(0);
  });

  it('ticker → L1 with the exact digits; heartbeat and acks are not errors; maintenance rotates; bad frames are counted, never thrown', () => {
    const h = krakenHarness(['BTC/USD'], { channels: ['l1'] });
    h.frame(
      '{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":42000.0,"bid_qty":1.50000000,"ask":42000.1,"ask_qty":0.10,"last":42000.0,"volume":1,"vwap":1,"low":1,"high":1,"change":0,"change_pct":0,"timestamp":"2026-01-02T03:04:05.000Z"}]}',
    );
    expect(h.l1s[0]).toMatchObject({
      bidPx: '42000.0',
      bidSz: '1.50000000',
      askPx: '42000.1',
      askSz: '0.10',
      ts: Date.parse('2026-01-02T03:04:05Z'),
    });
    expect(h.feed('BTC-USD').idleAt).toBe(0);
    h.frame('{"channel":"heartbeat"}');
    // A heartbeat confirms the connection idle, not broken: the stale watchdog holds off.
    expect(h.feed('BTC-USD').idleAt).toBeGreaterThan(0);
    h.frame('{"method":"pong","req_id":6,"time_in":"x","time_out":"y"}');
    h.frame('{"method":"subscribe","result":{"channel":"ticker","symbol":"BTC/USD"},"success":true}');
    h.frame('{"channel":"status","type":"update","data":[{"system":"online","api_version":"v2"}]}');
    expect(h.ctx.parseErrors).toBe(0);
    expect(h.rotations).toEqual([]);
    h.frame('{"channel":"status","type":"update","data":[{"system":"maintenance","api_version":"v2"}]}');
    expect(h.rotations).toEqual(['kraken system status: maintenance']);
    for (const bad of [
      '{"channel":"book","type":"upd',
      '[1,2',
      '{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":"x"}]}',
      '42',
    ])
      expect(() => h.frame(bad)).not.toThrow();
    expect(h.ctx.parseErrors).toBe(4);
    h.session.keepalive?.();
    expect(JSON.parse(h.sent.at(-1) as string)).toEqual({ method: 'ping', req_id: 6 });
  });

  it('a refused trade subscription is a warning (not a parse error), retried paced for that symbol alone; one naming no symbol rotates the connection', async () => {
    jest.useFakeTimers();
    try {
      const h = krakenHarness(['BTC/USD', 'ETH/USD'], { channels: ['trades'] });
      h.frame('{"method":"subscribe","success":false,"error":"EGeneral:Temporary lockout","symbol":"ETH/USD","req_id":2}');
      expect(h.ctx.parseErrors).toBe(0);
      expect(h.warnings).toEqual(['kraken: kraken refused subscribe trade ETH/USD: EGeneral:Temporary lockout']);
      jest.advanceTimersByTime(61_000);
      expect(h.paced.map((s) => JSON.parse(s))).toEqual([
        { method: 'subscribe', params: { channel: 'trade', symbol: ['ETH/USD'], snapshot: true }, req_id: 2 },
      ]);
      h.frame('{"method":"subscribe","success":false,"error":"EGeneral:Invalid arguments","req_id":2}');
      expect(h.rotations).toHaveLength(1);
    } finally {
      jest.useRealTimers();
    }
  });

  it("a refused first book subscription is retried for that symbol alone (no book exists to ask again); a resync's refusal is left to the core's snapshot timeout", async () => {
    jest.useFakeTimers();
    try {
      const h = krakenHarness(['BTC/USD', 'ETH/USD'], { channels: ['l2'], depth: 10 });
      h.frame('{"method":"subscribe","success":false,"error":"EGeneral:Temporary lockout","symbol":"ETH/USD","req_id":1}');
      expect(h.ctx.parseErrors).toBe(0);
      expect(h.warnings).toEqual(['kraken: kraken refused subscribe book ETH/USD: EGeneral:Temporary lockout']);
      jest.advanceTimersByTime(1_000);
      expect(h.paced.map((s) => JSON.parse(s))).toEqual([
        { method: 'subscribe', params: { channel: 'book', symbol: ['ETH/USD'], depth: 10, snapshot: true }, req_id: 1 },
      ]);
      // The retried subscription's snapshot starts the book.
      const guide = new GuideBook(10);
      const { bids, asks } = ladder(100);
      h.frame(v2BookFrame('snapshot', 'ETH/USD', bids, asks, guide.apply(bids, asks, true)));
      expect(h.ctx.books.get('ETH-USD')?.state).toBe('live');
      // Refused again (a resync's subscribe): the live book's own snapshot request asks again, nothing is sent here.
      h.frame('{"method":"subscribe","success":false,"error":"EGeneral:Temporary lockout","symbol":"ETH/USD","req_id":5}');
      jest.advanceTimersByTime(61_000);
      expect(h.paced).toHaveLength(1);
      expect(h.rotations).toHaveLength(0);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('Kraken protocol version from the URL', () => {
  it('a v1 connection (wss://ws.kraken.com, the recorded captures) decodes v1; a v2 connection never switches on a v1-looking frame', () => {
    const v1Frame = '[336,{"a":[["5541.30000","2.50700000","1534614248.456738"]],"c":"974942666"},"book-10","XBT/USD"]';
    const v1 = krakenHarness(['XBT/USD'], { channels: ['l2'], wsUrl: 'wss://ws.kraken.com' });
    v1.frame('{"event":"systemStatus","status":"online","version":"1.0.0"}');
    expect(v1.ctx.parseErrors).toBe(0);
    const v2 = krakenHarness(['XBT/USD'], { channels: ['l2'], wsUrl: 'wss://ws.kraken.com/v2' });
    v2.frame(v1Frame);
    expect(v2.ctx.parseErrors).toBe(1);
    v2.frame(
      v2BookFrame(
        'snapshot',
        'XBT/USD',
        [['1.0', '1.0']],
        [['2.0', '1.0']],
        new GuideBook(10).apply([['1.0', '1.0']], [['2.0', '1.0']], true),
      ),
    );
    expect(v2.book('XBT-USD')?.state).toBe('live');
  });
});

describe('Kraken adapter: subscriptions and names from metadata', () => {
  const adapter = new KrakenAdapter();
  const sym = (native: string, symbol: string) => ({
    native,
    symbol,
    channels: ['trades', 'l1', 'l2'] as const,
    instrument: { symbol, base: '', quote: '', priceDecimals: 1, sizeDecimals: 8 },
  });

  it('subscribes book at a depth Kraken offers, trades, bbo ticker and heartbeat (v2 messages)', () => {
    const plan = adapter.connectionPlan({ wsUrl: 'wss://ws.kraken.com/v2', restUrl: '', bookDepth: 20 }, [
      sym('BTC/USD', 'BTC-USD'),
      sym('ETH/USDT', 'ETH-USDT'),
    ]);
    expect(plan.url).toBe('wss://ws.kraken.com/v2');
    expect(plan.subscribe.map((s) => JSON.parse(s))).toEqual([
      { method: 'subscribe', params: { channel: 'book', symbol: ['BTC/USD', 'ETH/USDT'], depth: 25, snapshot: true }, req_id: 1 },
      { method: 'subscribe', params: { channel: 'trade', symbol: ['BTC/USD', 'ETH/USDT'], snapshot: true }, req_id: 2 },
      {
        method: 'subscribe',
        params: { channel: 'ticker', symbol: ['BTC/USD', 'ETH/USDT'], event_trigger: 'bbo', snapshot: true },
        req_id: 3,
      },
      { method: 'subscribe', params: { channel: 'heartbeat' }, req_id: 4 },
    ]);
  });

  it('names BTC from the v2 instrument channel although REST calls it XBT; REST that contradicts the instrument channel is not carried', () => {
    // Shapes as documented (REST AssetPairs; WebSocket v2 instrument snapshot `pairs`).
    const pairs = [
      { symbol: 'BTC/USD', base: 'BTC', quote: 'USD', status: 'online', pricePrecision: 1, qtyPrecision: 8 },
      { symbol: 'ETH/USDT', base: 'ETH', quote: 'USDT', status: 'online', pricePrecision: 2, qtyPrecision: 8 },
      { symbol: 'SOL/USD', base: 'SOL', quote: 'USD', status: 'online', pricePrecision: 2, qtyPrecision: 8 },
      { symbol: 'DOGE/USD', base: 'DOGE', quote: 'USD', status: 'maintenance', pricePrecision: 7, qtyPrecision: 8 },
    ];
    const rest = [
      { key: 'XXBTZUSD', wsname: 'XBT/USD', altname: 'XBTUSD', pairDecimals: 1, lotDecimals: 8, status: 'online' },
      { key: 'ETHUSDT', wsname: 'ETH/USDT', altname: 'ETHUSDT', pairDecimals: 2, lotDecimals: 8, status: 'online' },
      { key: 'SOLUSD', wsname: 'SOL/USD', altname: 'SOLUSD', pairDecimals: 3, lotDecimals: 8, status: 'online' },
    ];
    const r = resolveKraken(pairs, rest, ['BTC-USD', 'ETH-USDT', 'SOL-USD', 'DOGE-USD', 'XBT-USD']);
    expect(r.symbols.map((s) => [s.symbol, s.native, s.instrument.priceDecimals])).toEqual([
      ['BTC-USD', 'BTC/USD', 1],
      ['ETH-USDT', 'ETH/USDT', 2],
    ]);
    expect(r.unknown).toEqual(['SOL-USD', 'DOGE-USD', 'XBT-USD']);
  });

  it("reads the v2 instrument channel on the core's metadata socket (attempt limiter, breaker), never on a raw WebSocket of its own", async () => {
    const requests: { url: string; send: readonly string[] }[] = [];
    const meta: MetadataSocket = {
      request: <T>(url: string, send: readonly string[], read: (frame: string) => T | undefined) => {
        requests.push({ url, send });
        const frames = [
          '{"method":"subscribe","result":{"channel":"instrument"},"success":true}',
          '{"channel":"instrument","type":"snapshot","data":{"assets":[],"pairs":[{"symbol":"BTC/USD","base":"BTC","quote":"USD","status":"online","price_precision":1,"qty_precision":8}]}}',
        ];
        for (const f of frames) {
          const v = read(f);
          if (v !== undefined) return Promise.resolve(v);
        }
        return Promise.reject(new Error('no snapshot'));
      },
    };
    const rest: RestClient = { getJson: <T>() => Promise.resolve({ error: [], result: {} } as T) };
    const settings = { wsUrl: 'ws://unreachable.invalid/v2', restUrl: 'http://unreachable.invalid', bookDepth: 10 };
    const r = await adapter.resolveSymbols(rest, settings, ['BTC-USD'], meta);
    expect(r.symbols.map((s) => s.native)).toEqual(['BTC/USD']);
    expect(requests.map((q) => [q.url, q.send.map((f) => JSON.parse(f).params)])).toEqual([
      ['ws://unreachable.invalid/v2', [{ channel: 'instrument', snapshot: true }]],
    ]);
    await expect(adapter.resolveSymbols(rest, settings, ['BTC-USD'])).rejects.toThrow(/MetadataSocket/);
    // A refused instrument subscription fails the read.
    expect(() => readInstrumentFrame('{"method":"subscribe","success":false,"error":"EGeneral:Temporary lockout"}')).toThrow(/refused/);
  });

  it('reads what a recorded connection carried from its subscribe frames (v1 and v2)', () => {
    expect(
      adapter.recordedSymbols('wss://ws.kraken.com', [
        '{"event":"subscribe","pair":["XBT/CHF","ADA/XBT"],"subscription":{"name":"book","depth":1000}}',
      ]),
    ).toEqual([
      { native: 'XBT/CHF', channels: ['l2'] },
      { native: 'ADA/XBT', channels: ['l2'] },
    ]);
    expect(
      adapter.recordedSymbols('wss://ws.kraken.com/v2', ['{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"]}}']),
    ).toEqual([{ native: 'BTC/USD', channels: ['trades'] }]);
  });
});
