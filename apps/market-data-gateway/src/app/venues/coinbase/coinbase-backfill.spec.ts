import { waitFor } from '@cryptoscalp/testing';

import { type RestClient, RestError, type RestRequest } from '../../rest/rest.types';
import { CoinbaseAdapter } from './coinbase.adapter';
import { parseTradesPage } from './coinbase-backfill';
import { coinbaseHarness, DOC_MATCH } from './coinbase-harness';

// The documented examples (docs.cdp.coinbase.com → Exchange → REST "Get product trades", WebSocket "matches").
const DOC_REST_TRADE = { time: '2020-03-20T00:36:59.860Z', trade_id: 86327327, price: '6225.32000000', size: '0.06469797', side: 'sell' };
const match = (id: number, type = 'match') => ({ ...DOC_MATCH, type, trade_id: id });
const heartbeat = (last: number) => ({
  type: 'heartbeat',
  sequence: 90,
  last_trade_id: last,
  product_id: 'BTC-USD',
  time: '2014-11-07T08:19:28.464459Z',
});
/** The venue's history: the documented trade, with its id and price varied (price = id, to tell trades apart). */
const restTrade = (id: number) => ({ ...DOC_REST_TRADE, trade_id: id, price: `${id}.32000000`, side: id % 2 ? 'sell' : 'buy' });

/**
 * A REST venue with trades `oldest..newest` that pages as Coinbase documents it: `after=X` → ids
 * below X, newest first, at most `limit` (≤ 1000). `answer` may replace an answer (errors, hooks).
 */
function venue(oldest: number, newest: number, answer?: (r: RestRequest, n: number) => unknown): { rest: RestClient; requests: string[] } {
  const requests: string[] = [];
  const rest: RestClient = {
    getJson: <T>(r: RestRequest) => {
      requests.push(r.url.replace('http://rest.test', ''));
      const replaced = answer?.(r, requests.length);
      if (replaced instanceof Error) return Promise.reject(replaced);
      if (replaced !== undefined) return Promise.resolve(replaced as T);
      const q = new URL(r.url).searchParams;
      const hi = Math.min(newest, Number(q.get('after') ?? newest + 1) - 1);
      const limit = Math.min(1000, Number(q.get('limit') ?? 1000));
      const page = [];
      for (let id = hi; id >= Math.max(oldest, hi - limit + 1); id--) page.push(restTrade(id));
      return Promise.resolve(page as T);
    },
  };
  return { rest, requests };
}

describe('Coinbase trade backfill over REST', () => {
  it('reads the documented trade and refuses unreadable pages', () => {
    expect(parseTradesPage([DOC_REST_TRADE])).toEqual([
      { trade_id: 86327327, price: '6225.32000000', size: '0.06469797', side: 'sell', ts: Date.parse('2020-03-20T00:36:59.860Z') },
    ]);
    expect(parseTradesPage({ message: 'NotFound' })).toMatch(/not an array/);
    expect(parseTradesPage([{ ...DOC_REST_TRADE, trade_id: '86327327' }])).toMatch(/trade_id/);
    expect(parseTradesPage([{ ...DOC_REST_TRADE, price: 6225.32 }])).toMatch(/price/);
    expect(parseTradesPage([{ ...DOC_REST_TRADE, side: 'up' }])).toMatch(/side/);
    expect(parseTradesPage([{ ...DOC_REST_TRADE, time: 'yesterday' }])).toMatch(/time/);
  });

  it('the trades made while reconnecting are fetched, newest page first, and published once each in trade-id order, taker side', async () => {
    const v = venue(1, 86327400);
    const adapter = new CoinbaseAdapter({ audit: false, backfill: { delayMs: 0 } });
    const h = coinbaseHarness(adapter, ['BTC-USD'], { channels: ['trades'], rest: v.rest });
    for (const id of [86327320, 86327321, 86327322]) h.frame(match(id));
    // The connection drops; the new one (a new session, same adapter) starts with last_match.
    const next = adapter.openSession(h.ctx);
    next.onFrame(JSON.stringify(match(86327327, 'last_match')), Date.now() * 1000);
    next.onFrame(JSON.stringify(match(86327328)), Date.now() * 1000);
    await waitFor(() => h.sink.trades.length === 9, 5000);
    expect(v.requests).toEqual(['/products/BTC-USD/trades?after=86327327&limit=4']);
    expect(h.sink.trades.map((t) => Number(t.id))).toEqual([
      86327320, 86327321, 86327322, 86327327, 86327328, 86327323, 86327324, 86327325, 86327326,
    ]);
    // Kept as the venue wrote them; REST `side` is the maker's like `match`: the taker is the other side.
    expect(h.sink.trades[5]).toMatchObject({
      id: '86327323',
      price: '86327323.32000000',
      size: '0.06469797',
      side: 'buy',
      ts: Date.parse(DOC_REST_TRADE.time),
    });
    expect(h.sink.trades[6]).toMatchObject({ id: '86327324', side: 'sell' });
    expect(adapter.stats.backfill).toEqual({ holes: 1, requests: 1, trades: 4, alreadySeen: 0, unfilled: 0, failed: 0 });
    expect(adapter.counters()).toMatchObject({ backfill_trades: 4, backfill_unfilled: 0 });
    expect(adapter.backfill?.missing('BTC-USD')).toEqual([]);
  });

  it('a heartbeat ahead of the trades seen pages with the CB-AFTER cursor (the oldest id of each page), caps the hole and reports the rest', async () => {
    const hooks: { lateMatch?: () => void } = {};
    // While the second page is requested, one trade of the hole arrives on the WebSocket after all.
    const v = venue(1, 10_000, (_r, n) => (n === 2 ? hooks.lateMatch?.() : undefined));
    const adapter = new CoinbaseAdapter({ audit: false, backfill: { delayMs: 0, maxTradesPerHole: 2200 } });
    const h = coinbaseHarness(adapter, ['BTC-USD'], { channels: ['trades'], rest: v.rest });
    hooks.lateMatch = () => h.frame(match(7000));
    h.frame(match(7499));
    h.frame(heartbeat(9999)); // 7500..9999 made, never received: 2500 trades, the newest 2200 are fetched
    await waitFor(() => adapter.stats.backfill.unfilled > 0, 5000);
    expect(v.requests).toEqual([
      '/products/BTC-USD/trades?after=10000&limit=1000',
      '/products/BTC-USD/trades?after=9000&limit=1000',
      '/products/BTC-USD/trades?after=8000&limit=200',
    ]);
    const ids = h.sink.trades.map((t) => Number(t.id));
    // 7499, then the late WebSocket trade, then the backfill in id order without it.
    expect(ids.slice(0, 2)).toEqual([7499, 7000]);
    const filled = ids.slice(2);
    expect(filled).toEqual(Array.from({ length: 2200 }, (_, i) => 7800 + i).filter((id) => id !== 7000));
    expect(adapter.stats.backfill).toMatchObject({ holes: 1, requests: 3, trades: 2200, alreadySeen: 0, unfilled: 300, failed: 0 });
    expect(h.sink.statuses.map((s) => [s.state, s.reason])).toEqual([
      ['gap', '300 trades of 7500..9999 could not be backfilled (at most 2200 per hole)'],
    ]);
    expect(adapter.backfill?.missing('BTC-USD')).toEqual([]);
  });

  it('a trade the WebSocket delivered during the request is not published twice', async () => {
    const hooks: { h?: ReturnType<typeof coinbaseHarness> } = {};
    const v = venue(1, 100, (_r, n) => (n === 1 ? hooks.h?.frame(match(95)) : undefined));
    const adapter = new CoinbaseAdapter({ audit: false, backfill: { delayMs: 0 } });
    const h = coinbaseHarness(adapter, ['BTC-USD'], { channels: ['trades'], rest: v.rest });
    hooks.h = h;
    h.frame(match(90));
    h.frame(match(100));
    await waitFor(() => h.sink.trades.length === 11, 5000);
    expect(h.sink.trades.map((t) => Number(t.id))).toEqual([90, 100, 95, 91, 92, 93, 94, 96, 97, 98, 99]);
    expect(adapter.stats.backfill).toMatchObject({ trades: 8, alreadySeen: 1, unfilled: 0 });
  });

  it('malformed answers and 429 are counted and retried; when every attempt fails the hole is reported, nothing throws', async () => {
    const bad = (n: number) =>
      n === 1
        ? new SyntaxError('Unexpected token < in JSON')
        : n === 2
          ? new RestError(429, 'u', '429 from /products/BTC-USD/trades')
          : undefined;
    const v = venue(1, 50, (_r, n) => bad(n));
    const adapter = new CoinbaseAdapter({ audit: false, backfill: { delayMs: 0 } });
    const h = coinbaseHarness(adapter, ['BTC-USD'], { channels: ['trades'], rest: v.rest });
    h.frame(match(40));
    h.frame(match(43));
    await waitFor(() => h.sink.trades.length === 4, 5000);
    expect(h.sink.trades.map((t) => t.id)).toEqual(['40', '43', '41', '42']);
    expect(adapter.stats.backfill).toMatchObject({ requests: 3, failed: 2, trades: 2, unfilled: 0 });

    const down = venue(1, 50, () => ({ message: 'Internal server error' }));
    const adapter2 = new CoinbaseAdapter({ audit: false, backfill: { delayMs: 0, attempts: 2 } });
    const h2 = coinbaseHarness(adapter2, ['BTC-USD'], { channels: ['trades'], rest: down.rest });
    h2.frame(match(10));
    h2.frame(match(20));
    await waitFor(() => adapter2.stats.backfill.unfilled === 9, 5000);
    expect(adapter2.stats.backfill).toMatchObject({ requests: 2, failed: 2, trades: 0 });
    expect(h2.sink.statuses.map((s) => s.reason)).toEqual(['9 trades of 11..19 could not be backfilled (trades answer is not an array)']);
    expect(h2.sink.trades.map((t) => t.id)).toEqual(['10', '20']);
  });
});
