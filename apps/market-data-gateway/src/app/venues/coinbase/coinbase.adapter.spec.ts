import { waitFor } from '@cryptoscalp/testing';

import type { RestClient, RestRequest } from '../../rest/rest.types';
import { CoinbaseAdapter } from './coinbase.adapter';
import { coinbaseCredentialsFromEnv } from './coinbase.credentials';
import { signSubscribe } from './coinbase.protocol';
import { frameType } from './coinbase.session';
import { coinbaseHarness, DOC_MATCH } from './coinbase-harness';

// The documented examples (docs.cdp.coinbase.com → Exchange → WebSocket feed → Channels).
const DOC_SNAPSHOT = { type: 'snapshot', product_id: 'BTC-USD', bids: [['10101.10', '0.45054140']], asks: [['10102.55', '0.57753524']] };
const DOC_L2UPDATE = {
  type: 'l2update',
  product_id: 'BTC-USD',
  time: '2019-08-14T20:42:27.265Z',
  changes: [['buy', '10101.80000000', '0.162567']],
};
const DOC_TICKER = {
  type: 'ticker',
  sequence: 37475248783,
  product_id: 'ETH-USD',
  price: '1285.22',
  open_24h: '1310.79',
  volume_24h: '245532.79269678',
  low_24h: '1280.52',
  high_24h: '1313.8',
  volume_30d: '9788783.60117027',
  best_bid: '1285.04',
  best_bid_size: '0.46688654',
  best_ask: '1285.27',
  best_ask_size: '1.56637040',
  side: 'buy',
  time: '2022-10-19T23:28:22.061769Z',
  trade_id: 370843401,
  last_size: '11.4396987',
};
const heartbeat = (product: string, last: number) => ({
  type: 'heartbeat',
  sequence: 90,
  last_trade_id: last,
  product_id: product,
  time: '2014-11-07T08:19:28.464459Z',
});
const match = (product: string, id: number, price = '400.23') => ({ ...DOC_MATCH, product_id: product, trade_id: id, price });
const snapshot = (product: string, bids: string[][], asks: string[][]) => ({ type: 'snapshot', product_id: product, bids, asks });
const l2update = (product: string, changes: string[][]) => ({
  type: 'l2update',
  product_id: product,
  time: '2024-01-01T00:00:00.000001Z',
  changes,
});

const CREDENTIALS = { key: 'key-1', secret: 'Y3J5cHRvc2NhbHAtdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OQ==', passphrase: 'pass-phrase-1' };

describe('Coinbase Exchange adapter: configuration', () => {
  it('takes the trade backfill settings from the core (COINBASE_BACKFILL_*): limits replaced, 0 turns it off', () => {
    const settings = { wsUrl: 'ws://x', restUrl: 'http://x', bookDepth: 1 };
    const a = new CoinbaseAdapter({ audit: false });
    expect(a.backfill?.options).toEqual({ delayMs: 1500, maxTradesPerHole: 5000, attempts: 3 });
    a.configure({ ...settings, tradeBackfill: { maxTrades: 200, delayMs: 400 } });
    expect(a.backfill?.options).toEqual({ delayMs: 400, maxTradesPerHole: 200, attempts: 3 });
    expect(a.counters()['backfill_holes']).toBe(0);
    a.configure({ ...settings, tradeBackfill: { maxTrades: 0, delayMs: 400 } });
    expect(a.backfill).toBeUndefined();
    expect(a.counters()['backfill_trades']).toBe(0);
  });
});

describe('Coinbase Exchange adapter: documented messages', () => {
  it('applies the documented snapshot and l2update, and publishes the documented match and ticker as the venue wrote them', () => {
    const h = coinbaseHarness(new CoinbaseAdapter({ audit: false }), ['BTC-USD', 'ETH-USD']);
    h.frame(DOC_SNAPSHOT);
    h.frame(DOC_L2UPDATE);
    h.frame(DOC_MATCH);
    h.frame(DOC_TICKER);
    const book = h.feeds.get('BTC-USD')?.book;
    expect({ state: book?.state, bids: book?.top('bid', 5), asks: book?.top('ask', 5) }).toEqual({
      state: 'live',
      bids: [
        ['10101.80000000', '0.162567'],
        ['10101.10', '0.45054140'],
      ],
      asks: [['10102.55', '0.57753524']],
    });
    expect(h.sink.statesOf('BTC-USD')).toEqual(['connected']);
    // "side": the maker's side; a sell maker means the taker bought.
    expect(h.sink.trades).toEqual([
      expect.objectContaining({
        venue: 'coinbase',
        symbol: 'BTC-USD',
        id: '10',
        price: '400.23',
        size: '5.23512',
        side: 'buy',
        ts: Date.parse('2014-11-07T08:19:27.028Z'),
      }),
    ]);
    // BTC-USD's L1 follows its book (snapshot, then the better bid of the update); ETH-USD carries
    // a book too, so its ticker (sent only on a match) is not an L1 source.
    expect(h.sink.l1s.map(({ symbol, bidPx, bidSz, askPx, askSz }) => ({ symbol, bidPx, bidSz, askPx, askSz }))).toEqual([
      { symbol: 'BTC-USD', bidPx: '10101.10', bidSz: '0.45054140', askPx: '10102.55', askSz: '0.57753524' },
      { symbol: 'BTC-USD', bidPx: '10101.80000000', bidSz: '0.162567', askPx: '10102.55', askSz: '0.57753524' },
    ]);
    expect(h.ctx.parseErrors).toBe(0);
  });

  it('publishes the documented ticker as L1 for a product whose book is not carried', () => {
    const h = coinbaseHarness(new CoinbaseAdapter({ audit: false }), ['ETH-USD'], { channels: ['trades', 'l1'] });
    h.frame(DOC_TICKER);
    expect(h.sink.l1s).toEqual([
      expect.objectContaining({
        symbol: 'ETH-USD',
        bidPx: '1285.04',
        bidSz: '0.46688654',
        askPx: '1285.27',
        askSz: '1.56637040',
        seq: 37475248783,
      }),
    ]);
  });

  it('L1 of a carried book: its top after every change of the best levels (not after deeper changes), with the book sequence', () => {
    const h = coinbaseHarness(new CoinbaseAdapter({ audit: false }), ['BTC-USD']);
    h.frame(
      snapshot(
        'BTC-USD',
        [
          ['100.00', '1.0'],
          ['99.00', '2.0'],
        ],
        [['101.00', '1.5']],
      ),
    );
    h.frame(l2update('BTC-USD', [['buy', '99.00', '3.0']])); // below the best bid: L1 unchanged
    h.frame(l2update('BTC-USD', [['sell', '101.00', '0']])); // the best ask leaves: no ask, no L1
    h.frame(l2update('BTC-USD', [['sell', '100.50', '0.25']]));
    h.frame({ ...DOC_TICKER, product_id: 'BTC-USD', best_bid: '1', best_ask: '2' }); // never an L1 here
    const book = h.feeds.get('BTC-USD')?.book;
    expect(h.sink.l1s.map(({ bidPx, bidSz, askPx, askSz }) => [bidPx, bidSz, askPx, askSz])).toEqual([
      ['100.00', '1.0', '101.00', '1.5'],
      ['100.00', '1.0', '100.50', '0.25'],
    ]);
    expect(h.sink.l1s[1]?.seq).toBe(book?.seq);
    expect(h.sink.l1s[1]!.seq!).toBeGreaterThan(h.sink.l1s[0]!.seq!);
  });

  it('signs the subscribe like the documentation’s Python example (value computed with that code)', () => {
    expect(signSubscribe(CREDENTIALS, '1700000000.123')).toBe('j5Hi3fKQjSAYZdcKxu17moBL75d5MuSyuyVmd2hcSlg=');
  });

  it('subscribes every channel in one message sent first (level2_batch without credentials, signed level2 with them; never the secret)', () => {
    const sym = (p: string) => ({
      symbol: p,
      native: p,
      channels: ['trades', 'l1', 'l2'] as const,
      instrument: { symbol: p, base: '', quote: '', priceDecimals: 2, sizeDecimals: 8 },
    });
    const settings = { wsUrl: 'ws://x', restUrl: 'http://x', bookDepth: 1 };
    const pub = new CoinbaseAdapter().connectionPlan(settings, [sym('BTC-USD'), sym('ETH-USD')]);
    expect(pub.subscribe.map((s) => JSON.parse(s))).toEqual([
      {
        type: 'subscribe',
        channels: [
          { name: 'level2_batch', product_ids: ['BTC-USD', 'ETH-USD'] },
          { name: 'matches', product_ids: ['BTC-USD', 'ETH-USD'] },
          { name: 'heartbeat', product_ids: ['BTC-USD', 'ETH-USD'] },
          { name: 'ticker', product_ids: ['BTC-USD', 'ETH-USD'] },
        ],
      },
    ]);
    const signed = new CoinbaseAdapter({ credentials: CREDENTIALS }).connectionPlan(settings, [sym('BTC-USD')]);
    const msg = JSON.parse(signed.subscribe[0] as string);
    expect(msg.channels[0]).toEqual({ name: 'level2', product_ids: ['BTC-USD'] });
    expect(msg).toMatchObject({ key: 'key-1', passphrase: 'pass-phrase-1', signature: signSubscribe(CREDENTIALS, msg.timestamp) });
    expect(Math.abs(Number(msg.timestamp) * 1000 - Date.now())).toBeLessThan(5000);
    expect(signed.subscribe[0]).not.toContain(CREDENTIALS.secret);
  });

  it('maps products from /products metadata (never a table) and reports what the venue does not list', async () => {
    const products = [
      {
        id: 'BTC-USD',
        base_currency: 'BTC',
        quote_currency: 'USD',
        quote_increment: '0.01000000',
        base_increment: '0.00000001',
        status: 'online',
      },
      {
        id: 'XRP-EUR',
        base_currency: 'XRP',
        quote_currency: 'EUR',
        quote_increment: '0.0001',
        base_increment: '0.000001',
        status: 'delisted',
      },
    ];
    const rest: RestClient = { getJson: <T>() => Promise.resolve(products as T) };
    const out = await new CoinbaseAdapter().resolveSymbols(rest, { wsUrl: '', restUrl: 'http://x', bookDepth: 1 }, [
      'BTC-USD',
      'XRP-EUR',
      'DOGE-USD',
    ]);
    expect(out).toEqual({
      symbols: [
        {
          symbol: 'BTC-USD',
          native: 'BTC-USD',
          instrument: { symbol: 'BTC-USD', base: 'BTC', quote: 'USD', priceDecimals: 2, sizeDecimals: 8 },
        },
      ],
      unknown: ['XRP-EUR', 'DOGE-USD'],
    });
  });

  it('takes credentials all together or not at all, naming the variables and never their values', () => {
    expect(coinbaseCredentialsFromEnv({})).toBeUndefined();
    const partial = () => coinbaseCredentialsFromEnv({ COINBASE_API_KEY: 'visible-key', COINBASE_API_SECRET: 'c2VjcmV0' });
    expect(partial).toThrow(/COINBASE_API_PASSPHRASE/);
    expect(partial).not.toThrow(/visible-key|c2VjcmV0/);
    expect(() =>
      coinbaseCredentialsFromEnv({ COINBASE_API_KEY: 'k', COINBASE_API_SECRET: 'not base64!', COINBASE_API_PASSPHRASE: 'p' }),
    ).toThrow(/^COINBASE_API_SECRET: expected the base64 secret the venue issued \(value hidden\)$/);
  });
});

describe('Coinbase Exchange adapter: book integrity', () => {
  it('a snapshot after a reconnect replaces the book (no ghost levels), and updates received before it are not applied on top', () => {
    const adapter = new CoinbaseAdapter({ audit: false });
    const h = coinbaseHarness(adapter, ['BTC-USD']);
    h.frame(
      snapshot(
        'BTC-USD',
        [
          ['100.00', '1'],
          ['99.00', '2'],
        ],
        [['101.00', '1']],
      ),
    );
    h.frame(l2update('BTC-USD', [['buy', '99.50', '3']]));
    h.frame(snapshot('BTC-USD', [['98.00', '5']], [['102.00', '4']]));
    const book = h.feeds.get('BTC-USD')?.book;
    expect({ bids: book?.top('bid', 10), asks: book?.top('ask', 10) }).toEqual({ bids: [['98.00', '5']], asks: [['102.00', '4']] });
    const snaps = h.sink.l2s.filter((m) => m.snapshot);
    expect(snaps).toHaveLength(2);
    expect(snaps[1]?.seq).toBeGreaterThan(snaps[0]?.seq as number);
  });

  it('a hole in the trade ids still open at the second heartbeat: gap, resync by resubscribing that product alone, connected on the new snapshot', async () => {
    const h = coinbaseHarness(new CoinbaseAdapter({ audit: false }), ['BTC-USD', 'ETH-USD']);
    h.frame(snapshot('BTC-USD', [['100.00', '1']], [['101.00', '1']]));
    h.frame(snapshot('ETH-USD', [['10.00', '1']], [['11.00', '1']]));
    h.frame(match('BTC-USD', 1));
    h.frame(match('BTC-USD', 3)); // 2 never comes
    h.frame(heartbeat('BTC-USD', 3));
    expect(h.sink.statesOf('BTC-USD')).toEqual(['connected']);
    h.frame(heartbeat('BTC-USD', 3));
    expect(h.sink.statesOf('BTC-USD')).toEqual(['connected', 'gap', 'resync']);
    await waitFor(() => h.sent.length === 2, 2000);
    expect(h.sent.map((s) => JSON.parse(s))).toEqual([
      { type: 'unsubscribe', channels: [{ name: 'level2_batch', product_ids: ['BTC-USD'] }] },
      { type: 'subscribe', channels: [{ name: 'level2_batch', product_ids: ['BTC-USD'] }] },
    ]);
    h.frame(l2update('BTC-USD', [['buy', '100.00', '0']])); // before the new snapshot: superseded by it
    h.frame(snapshot('BTC-USD', [['100.50', '2']], [['101.00', '1']]));
    await waitFor(() => h.sink.statesOf('BTC-USD').length === 4, 2000);
    expect(h.sink.statesOf('BTC-USD')).toEqual(['connected', 'gap', 'resync', 'connected']);
    expect(h.feeds.get('BTC-USD')?.book?.top('bid', 5)).toEqual([['100.50', '2']]);
    expect(h.sink.statesOf('ETH-USD')).toEqual(['connected']);
  });

  it('a late (reordered) match or a heartbeat naming a trade already seen is no gap; last_match on subscribe is published once', () => {
    const h = coinbaseHarness(new CoinbaseAdapter({ audit: false }), ['BTC-USD']);
    h.frame(snapshot('BTC-USD', [['100.00', '1']], [['101.00', '1']]));
    h.frame({ ...match('BTC-USD', 7), type: 'last_match' });
    h.frame(match('BTC-USD', 7)); // the same trade again (a second subscribe or a duplicated frame)
    h.frame(match('BTC-USD', 9));
    h.frame(heartbeat('BTC-USD', 9));
    h.frame(match('BTC-USD', 8)); // late
    h.frame(heartbeat('BTC-USD', 9));
    h.frame(heartbeat('BTC-USD', 0)); // the live feed has sent 0 at times
    h.frame(heartbeat('BTC-USD', 9));
    expect(h.sink.statesOf('BTC-USD')).toEqual(['connected']);
    expect(h.sink.trades.map((t) => t.id)).toEqual(['7', '9', '8']);
  });

  it('a truncated l2update resyncs only the product it names; an unreadable frame naming none resyncs every book', async () => {
    const h = coinbaseHarness(new CoinbaseAdapter({ audit: false }), ['BTC-USD', 'ETH-USD']);
    h.frame(snapshot('BTC-USD', [['100.00', '1']], [['101.00', '1']]));
    h.frame(snapshot('ETH-USD', [['10.00', '1']], [['11.00', '1']]));
    const full = JSON.stringify(l2update('BTC-USD', [['buy', '100.00', '2']]));
    h.frame(full.slice(0, full.length >> 1));
    expect(h.sink.statesOf('BTC-USD')).toEqual(['connected', 'resync']);
    expect(h.sink.statesOf('ETH-USD')).toEqual(['connected']);
    h.frame('{"malformed":{"type":"match","pro'); // not a book frame: the trade-id check covers it
    expect(h.sink.statesOf('ETH-USD')).toEqual(['connected']);
    h.frame('{"malformed":{"type":"l2update","');
    expect(h.sink.statesOf('ETH-USD')).toEqual(['connected', 'resync']);
    expect(h.ctx.parseErrors).toBe(3);
    await waitFor(() => h.sent.length === 2, 2000);
    expect(JSON.parse(h.sent[1] as string).channels[0].product_ids.sort()).toEqual(['BTC-USD', 'ETH-USD']);
  });

  it('reads the type of an unreadable frame from what survived: a name cut short is known only when one kind of message begins so', () => {
    expect(frameType('{"malformed":{"type":"l2update","')).toBe('l2update');
    expect(frameType('{"type":"heartbeat","last_trade_id":12')).toBe('heartbeat');
    expect(frameType('{"type":"mat')).toBe('match');
    expect(frameType('{"type":"tick')).toBe('ticker');
    expect(frameType('{"type":"l')).toBeUndefined(); // l2update or last_match
    expect(frameType('{"type":"s')).toBeUndefined(); // snapshot or subscriptions
    expect(frameType('{"type":"')).toBeUndefined();
    expect(frameType('{"ty')).toBeUndefined();
  });

  it('one fault destroying several frames: one resync per book, the snapshot it destroyed is asked for again, its late twin changes nothing', async () => {
    const h = coinbaseHarness(new CoinbaseAdapter({ audit: false, resubscribeSpacingMs: 0 }), ['BTC-USD', 'ETH-USD']);
    h.frame(snapshot('BTC-USD', [['100.00', '1']], [['101.00', '1']]));
    h.frame(snapshot('ETH-USD', [['10.00', '1']], [['11.00', '1']]));
    h.frame('{"malformed":{"type":"l2update","'); // product cut off: every book resyncs
    h.frame('{"malformed":{"type":"l2update","'); // before the snapshots: they replace the books anyway
    await waitFor(() => h.sent.length === 2, 2000);
    expect(JSON.parse(h.sent[1] as string).channels[0].product_ids.sort()).toEqual(['BTC-USD', 'ETH-USD']);
    h.frame('{"malformed":{"type":"snapshot","'); // one of the two answers destroyed: both may be it
    await waitFor(() => h.sent.length === 4, 2000);
    h.frame(snapshot('ETH-USD', [['10.50', '1']], [['11.00', '1']])); // the first answer for ETH
    h.frame(snapshot('BTC-USD', [['100.50', '1']], [['101.00', '1']])); // the second for BTC
    await waitFor(() => h.feeds.get('BTC-USD')?.book?.isLive === true && h.feeds.get('ETH-USD')?.book?.isLive === true, 2000);
    h.frame(snapshot('ETH-USD', [['10.75', '1']], [['11.00', '1']])); // the second for ETH: the book is live already
    expect(h.feeds.get('ETH-USD')?.book?.top('bid', 5)).toEqual([['10.50', '1']]);
    expect(h.sink.statesOf('BTC-USD')).toEqual(['connected', 'resync', 'connected']);
    expect(h.sink.statesOf('ETH-USD')).toEqual(['connected', 'resync', 'connected']);
    expect(h.feeds.get('BTC-USD')?.book?.top('bid', 5)).toEqual([['100.50', '1']]);
    expect(h.ctx.parseErrors).toBe(3);
    // Live again: the next unreadable update resyncs again (a new outage).
    h.frame('{"malformed":{"type":"l2update","');
    expect(h.sink.statesOf('ETH-USD')).toEqual(['connected', 'resync', 'connected', 'resync']);
  });

  it('an unreadable match is no lost frame: its hole is no gap and resyncs nothing; a hole no unreadable match explains still is', () => {
    const adapter = new CoinbaseAdapter({ audit: false, backfill: false });
    const h = coinbaseHarness(adapter, ['BTC-USD', 'ETH-USD']);
    h.frame(snapshot('BTC-USD', [['100.00', '1']], [['101.00', '1']]));
    h.frame(snapshot('ETH-USD', [['10.00', '1']], [['11.00', '1']]));
    h.frame(match('BTC-USD', 1));
    const full = JSON.stringify(match('BTC-USD', 2));
    h.frame(full.slice(0, full.length >> 1)); // truncated: type and trade_id survive, product_id not
    h.frame('{"malformed":{"type":"match","tra'); // nothing but the type
    h.frame(match('BTC-USD', 4));
    for (let i = 0; i < 3; i++) h.frame(heartbeat('BTC-USD', 4));
    expect(h.sink.statesOf('BTC-USD')).toEqual(['connected']);
    expect(adapter.stats).toMatchObject({ tradeGaps: 0, lostTrades: 0, unreadableTrades: 2 });
    h.frame(match('BTC-USD', 6)); // 5 never comes, and nothing unreadable explains it
    for (let i = 0; i < 2; i++) h.frame(heartbeat('BTC-USD', 6));
    expect(h.sink.statesOf('BTC-USD')).toEqual(['connected', 'gap', 'resync']);
    expect(h.sink.statesOf('ETH-USD')).toEqual(['connected']);
    expect(adapter.stats).toMatchObject({ tradeGaps: 1, lostTrades: 1, unreadableTrades: 2 });
  });

  it('falls back to level2_batch when the venue refuses the signed subscribe', () => {
    const adapter = new CoinbaseAdapter({ credentials: CREDENTIALS, audit: false });
    const h = coinbaseHarness(adapter, ['BTC-USD']);
    h.frame({
      type: 'error',
      message: 'Failed to subscribe',
      reason: 'level2, level3, and full channels now require authentication. https://docs.cloud.coinbase.com/exchange/docs/websocket-auth',
    });
    expect(adapter.bookChannel).toBe('level2_batch');
    expect(JSON.parse(h.sent[0] as string)).toEqual({
      type: 'subscribe',
      channels: [
        { name: 'level2_batch', product_ids: ['BTC-USD'] },
        { name: 'matches', product_ids: ['BTC-USD'] },
        { name: 'heartbeat', product_ids: ['BTC-USD'] },
        { name: 'ticker', product_ids: ['BTC-USD'] },
      ],
    });
    expect(h.rotations).toEqual([]);
  });
});

describe('Coinbase Exchange adapter: REST audit of the books', () => {
  const answering = (book: () => unknown) => {
    const requests: RestRequest[] = [];
    const rest: RestClient = {
      getJson: <T>(r: RestRequest) => {
        requests.push(r);
        return Promise.resolve(book() as T);
      },
    };
    return { rest, requests };
  };

  it('a ghost level the venue does not have, seen in two audits in a row, resyncs that symbol (counted)', async () => {
    const adapter = new CoinbaseAdapter({ audit: { intervalMs: 20, minSpacingMs: 20, graceMs: 10 } });
    const { rest, requests } = answering(() => ({ bids: [['99.00', '2', 1]], asks: [['101.00', '1', 1]], sequence: 5 }));
    const h = coinbaseHarness(adapter, ['BTC-USD'], { rest });
    h.session.onOpen?.();
    // Our book still has 100.00: an update deleting it was lost.
    h.frame(
      snapshot(
        'BTC-USD',
        [
          ['100.00', '1'],
          ['99.00', '2'],
        ],
        [['101.00', '1']],
      ),
    );
    await waitFor(() => h.sink.statesOf('BTC-USD').includes('resync'), 5000);
    h.session.onClose?.();
    expect(requests[0]).toEqual({ url: 'http://rest.test/products/BTC-USD/book?level=1', weight: 1, purpose: 'audit' });
    expect(adapter.stats.audit).toMatchObject({ mismatched: 2, resyncs: 1, matched: 0 });
    expect(h.sink.statuses.find((s) => s.state === 'resync')?.reason).toMatch(/REST audit: bid 100.00 \(1\) is not in the venue's book/);
  });

  it('agrees with a venue book written with other trailing zeros, and leaves out levels the stream changed during the audit', async () => {
    const adapter = new CoinbaseAdapter({ audit: { intervalMs: 20, minSpacingMs: 20, graceMs: 30, level: 2 } });
    const ref: { h?: ReturnType<typeof coinbaseHarness> } = {};
    const { rest } = answering(() => {
      // Meanwhile the stream moves 100.00, and the venue answers with a size in between that a
      // batch collapsed (1 → 5 → 7): the level changed during the audit, so it is not judged.
      ref.h?.frame(l2update('BTC-USD', [['buy', '100.00', '7']]));
      return {
        bids: [
          ['100.00', '5', 1],
          ['99.0', '2', 1],
        ],
        asks: [['101.00', '1.5', 2]],
      };
    });
    const h = coinbaseHarness(adapter, ['BTC-USD'], { rest });
    ref.h = h;
    h.session.onOpen?.();
    h.frame(
      snapshot(
        'BTC-USD',
        [
          ['100.00', '1'],
          ['99.00', '2.000'],
        ],
        [['101.00', '1.50']],
      ),
    );
    await waitFor(() => adapter.stats.audit.matched >= 2, 5000);
    h.session.onClose?.();
    expect(adapter.stats.audit).toMatchObject({ mismatched: 0, resyncs: 0 });
    expect(h.sink.statesOf('BTC-USD')).toEqual(['connected']);
  });
});
