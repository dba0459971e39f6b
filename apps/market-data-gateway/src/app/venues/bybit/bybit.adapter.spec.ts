import { planShards } from '../../feeds/shard-plan';
import { carried, SessionHarness, settle } from '../../replay/replay-session';
import { BybitAdapter, linearUrl } from './bybit.adapter';
import type { BybitSession } from './bybit.session';

const BTC = carried('BTC-USDT', 'BTCUSDT');
const ETH = carried('ETH-USDT', 'ETHUSDT');
const BTC_PERP = carried('BTCPERP-USDT', 'BTCUSDT');
/** The examples of the Bybit v5 docs use `orderbook.50`. */
const DEPTH_50 = { bookDepth: 50 };

/** The `orderbook.50` snapshot example of the Bybit v5 docs ("Orderbook", response example). */
const DOC_SNAPSHOT = {
  topic: 'orderbook.50.BTCUSDT',
  type: 'snapshot',
  ts: 1672304484978,
  data: {
    s: 'BTCUSDT',
    b: [
      ['16493.50', '0.006'],
      ['16493.00', '0.100'],
    ],
    a: [
      ['16611.00', '0.029'],
      ['16612.00', '0.213'],
    ],
    u: 18521288,
    seq: 7961638724,
  },
  cts: 1672304484976,
};

const ob = (native: string, type: 'snapshot' | 'delta', u: number, b: string[][], a: string[][], depth = 50) => ({
  topic: `orderbook.${depth}.${native}`,
  type,
  ts: 1672304484978 + u,
  data: { s: native, b, a, u, seq: 7961638724 + u },
  cts: 1672304484976,
});
const ops = (sent: string[]) => sent.map((s) => JSON.parse(s) as { op: string; args: string[] }).map(({ op, args }) => ({ op, args }));

describe('Bybit v5 adapter: books', () => {
  it('starts from the documented snapshot, digits as sent (trailing zeros kept), and applies deltas continuing u by one', () => {
    const h = new SessionHarness(new BybitAdapter(), [BTC], undefined, DEPTH_50);
    h.frame(DOC_SNAPSHOT);
    expect(h.l2s[0]).toMatchObject({ snapshot: true, seq: 18521288, bids: DOC_SNAPSHOT.data.b, asks: DOC_SNAPSHOT.data.a });
    h.frame(ob('BTCUSDT', 'delta', 18521289, [['16493.50', '0']], [['16610.50', '1.000']]));
    h.frame(ob('BTCUSDT', 'delta', 18521290, [['16494.00', '0.010']], []));
    expect(h.l2s.slice(1).map((m) => [m.seq, m.prevSeq])).toEqual([
      [18521289, 18521288],
      [18521290, 18521289],
    ]);
    expect(h.book('BTC-USDT')?.top('bid', 5)).toEqual([
      ['16494.00', '0.010'],
      ['16493.00', '0.100'],
    ]);
    expect(h.book('BTC-USDT')?.top('ask', 1)).toEqual([['16610.50', '1.000']]);
    expect(h.statesOf('BTC-USDT')).toEqual(['connected']);
    h.close();
  });

  it('a skipped u resyncs that symbol alone (unsubscribe + subscribe of its book topic); the other keeps flowing', async () => {
    const h = new SessionHarness(new BybitAdapter(), [BTC, ETH], undefined, DEPTH_50);
    h.frame(DOC_SNAPSHOT, ob('ETHUSDT', 'snapshot', 70, [['1200.10', '1']], [['1200.20', '1']]));
    h.frame(ob('BTCUSDT', 'delta', 18521290, [['16490.00', '1']], []));
    expect(h.statesOf('BTC-USDT')).toEqual(['connected', 'gap', 'resync']);
    h.frame(ob('ETHUSDT', 'delta', 71, [['1200.00', '2']], []));
    // Deltas of the resyncing symbol are buffered without asking for another snapshot.
    for (let u = 18521291; u < 18521294; u++) {
      h.frame(ob('BTCUSDT', 'delta', u, [['16491.00', '1']], []));
      await settle(5);
    }
    await settle(40);
    expect(ops(h.paced)).toEqual([
      { op: 'unsubscribe', args: ['orderbook.50.BTCUSDT'] },
      { op: 'subscribe', args: ['orderbook.50.BTCUSDT'] },
    ]);
    h.frame(ob('BTCUSDT', 'delta', 18521291, [['16491.00', '1']], []));
    h.frame(ob('BTCUSDT', 'snapshot', 18521295, [['16492.00', '1.5']], [['16600.00', '1']]));
    h.frame(ob('BTCUSDT', 'delta', 18521296, [], [['16599.00', '2']]));
    expect(h.statesOf('BTC-USDT')).toEqual(['connected', 'gap', 'resync', 'connected']);
    expect(h.book('BTC-USDT')?.top('bid', 10)).toEqual([['16492.00', '1.5']]);
    expect(h.statesOf('ETH-USDT')).toEqual(['connected']);
    expect(h.l2s.filter((m) => m.symbol === 'ETH-USDT').map((m) => m.seq)).toEqual([70, 71]);
    h.close();
  });

  it('any snapshot replaces the book (no ghost levels), including u=1 after a service restart', () => {
    const h = new SessionHarness(new BybitAdapter(), [BTC], undefined, DEPTH_50);
    h.frame(DOC_SNAPSHOT);
    // An unrequested snapshot ("if there is a problem on Bybit's end, a snapshot will be re-sent").
    h.frame(ob('BTCUSDT', 'snapshot', 18521300, [['16480.00', '2.000']], [['16611.00', '0.029']]));
    expect(h.book('BTC-USDT')?.top('bid', 10)).toEqual([['16480.00', '2.000']]);
    // Restart: u=1, then deltas continue from 1.
    h.frame(ob('BTCUSDT', 'snapshot', 1, [['16470.00', '1.000']], [['16620.00', '1.000']]));
    h.frame(ob('BTCUSDT', 'delta', 2, [['16471.00', '1.000']], []));
    expect(h.book('BTC-USDT')?.seq).toBe(2);
    expect(h.book('BTC-USDT')?.top('bid', 10)).toEqual([
      ['16471.00', '1.000'],
      ['16470.00', '1.000'],
    ]);
    expect(h.book('BTC-USDT')?.top('ask', 10)).toEqual([['16620.00', '1.000']]);
    expect(h.l2s.filter((m) => m.snapshot).map((m) => m.seq)).toEqual([18521288, 18521300, 1]);
    expect(h.statuses.filter((s) => s.state !== 'connected')).toEqual([]);
    h.close();
  });

  it('keeps the book at the subscribed depth', () => {
    const h = new SessionHarness(new BybitAdapter(), [BTC], undefined, DEPTH_50);
    const bids = Array.from({ length: 50 }, (_, i) => [String(1000 - i), '1']);
    h.frame(ob('BTCUSDT', 'snapshot', 10, bids, [['1001', '1']]));
    h.frame(ob('BTCUSDT', 'delta', 11, [['1000.5', '1']], []));
    expect(h.book('BTC-USDT')?.levelCount('bid')).toBe(50);
    expect(h.book('BTC-USDT')?.top('bid', 50).pop()).toEqual(['952', '1']);
    h.close();
  });
});

describe('Bybit v5 adapter: trades, top of book, tickers, control', () => {
  it('publishes every trade of a publicTrade batch (documented example first), the taker side and strings as sent', () => {
    const h = new SessionHarness(new BybitAdapter(), [BTC]);
    h.frame({
      topic: 'publicTrade.BTCUSDT',
      type: 'snapshot',
      ts: 1672304486868,
      data: [
        {
          T: 1672304486865,
          s: 'BTCUSDT',
          S: 'Buy',
          v: '0.001',
          p: '16578.50',
          L: 'PlusTick',
          i: '20f43950-d8dd-5b31-9112-a178eb6023af',
          BT: false,
        },
        { T: 1672304486866, s: 'BTCUSDT', S: 'Sell', v: '0.120', p: '16578.00', L: 'MinusTick', i: '2290000000061666327', BT: false },
        { T: 1672304486866, s: 'BTCUSDT', S: 'Sell', v: '2', p: '16577.5', L: 'MinusTick', i: '2290000000061666328', BT: false },
      ],
    });
    expect(h.trades.map((t) => [t.id, t.price, t.size, t.side, t.ts])).toEqual([
      ['20f43950-d8dd-5b31-9112-a178eb6023af', '16578.50', '0.001', 'buy', 1672304486865],
      ['2290000000061666327', '16578.00', '0.120', 'sell', 1672304486866],
      ['2290000000061666328', '16577.5', '2', 'sell', 1672304486866],
    ]);
    h.close();
  });

  it('orderbook.1 snapshots are the top of book; linear level-1 deltas are merged', () => {
    const h = new SessionHarness(new BybitAdapter(), [BTC_PERP]);
    h.frame(ob('BTCUSDT', 'snapshot', 500, [['30247.20', '30.028']], [['30248.70', '1.2']], 1));
    h.frame(
      ob(
        'BTCUSDT',
        'delta',
        501,
        [
          ['30247.20', '0'],
          ['30247.10', '4'],
        ],
        [],
        1,
      ),
    );
    h.frame(
      ob(
        'BTCUSDT',
        'delta',
        502,
        [],
        [
          ['30248.60', '0.5'],
          ['30248.70', '0'],
        ],
        1,
      ),
    );
    expect(h.l1s.map((q) => [q.bidPx, q.bidSz, q.askPx, q.askSz, q.seq])).toEqual([
      ['30247.20', '30.028', '30248.70', '1.2', 500],
      ['30247.10', '4', '30248.70', '1.2', 501],
      ['30247.10', '4', '30248.60', '0.5', 502],
    ]);
    h.close();
  });

  it('merges linear ticker deltas (only changed fields) into the snapshot (documented example)', () => {
    const h = new SessionHarness(new BybitAdapter(), [carried('BTCPERP-USDT', 'BTCUSDT', ['l1'])]);
    h.frame({
      topic: 'tickers.BTCUSDT',
      type: 'snapshot',
      data: {
        symbol: 'BTCUSDT',
        tickDirection: 'PlusTick',
        price24hPcnt: '0.017103',
        lastPrice: '17216.00',
        prevPrice24h: '16926.50',
        highPrice24h: '17281.50',
        lowPrice24h: '16915.00',
        markPrice: '17217.33',
        indexPrice: '17227.36',
        fundingRate: '-0.000212',
        bid1Price: '17215.50',
        bid1Size: '84.489',
        ask1Price: '17216.00',
        ask1Size: '83.020',
      },
      cs: 24987956059,
      ts: 1673272861686,
    });
    h.frame({
      topic: 'tickers.BTCUSDT',
      type: 'delta',
      data: { symbol: 'BTCUSDT', bid1Size: '80.001', lastPrice: '17215.50' },
      cs: 24987956060,
      ts: 1673272861706,
    });
    const merged = (h.session as BybitSession).tickerOf('BTCUSDT');
    expect(merged).toMatchObject({
      bid1Price: '17215.50',
      bid1Size: '80.001',
      lastPrice: '17215.50',
      markPrice: '17217.33',
      fundingRate: '-0.000212',
    });
    // Without orderbook.1 on this connection the ticker's best bid/ask is the top of book.
    expect(h.l1s.map((q) => [q.bidPx, q.bidSz, q.askPx, q.askSz])).toEqual([
      ['17215.50', '84.489', '17216.00', '83.020'],
      ['17215.50', '80.001', '17216.00', '83.020'],
    ]);
    h.close();
  });

  it('pings with {"op":"ping"}, ignores pongs, rotates on a refused subscription (a warning, not a parse error), counts malformed frames', () => {
    const h = new SessionHarness(new BybitAdapter(), [BTC]);
    h.session.keepalive?.();
    expect(h.sent).toEqual(['{"op":"ping"}']);
    h.frame({ success: true, ret_msg: 'pong', conn_id: '0970e817-426e-429a-a679-ff7f55e0b16a', op: 'ping' });
    h.frame({ success: true, ret_msg: '', conn_id: 'x', req_id: '1', op: 'subscribe' });
    expect(h.ctx.parseErrors).toBe(0);
    h.frame('{"topic":"orderbook.200', { topic: 'orderbook.200.BTCUSDT', type: 'delta', data: { s: 'BTCUSDT', b: 'x' } });
    expect(h.ctx.parseErrors).toBe(2);
    h.frame({ success: false, ret_msg: 'error:request too frequent', conn_id: 'x', req_id: '2', op: 'subscribe' });
    expect(h.rotations).toHaveLength(1);
    // A refusal is a warning, not a malformed frame.
    expect(h.ctx.parseErrors).toBe(2);
    expect(h.warnings.at(-1)).toContain('request too frequent');
    h.close();
  });
});

describe('Bybit v5 adapter: symbols, linear perpetuals, subscriptions', () => {
  const spot = {
    retCode: 0,
    retMsg: 'OK',
    result: {
      category: 'spot',
      list: [
        {
          symbol: 'BTCUSDT',
          baseCoin: 'BTC',
          quoteCoin: 'USDT',
          status: 'Trading',
          lotSizeFilter: { basePrecision: '0.000001' },
          priceFilter: { tickSize: '0.01' },
        },
        {
          symbol: 'OLDUSDT',
          baseCoin: 'OLD',
          quoteCoin: 'USDT',
          status: 'Closed',
          lotSizeFilter: { basePrecision: '0.01' },
          priceFilter: { tickSize: '0.01' },
        },
      ],
    },
  };
  const linear = (cursor: string | undefined) => ({
    retCode: 0,
    retMsg: 'OK',
    result: {
      category: 'linear',
      nextPageCursor: cursor ? '' : 'page2',
      list: cursor
        ? [
            {
              symbol: 'BTCPERP',
              contractType: 'LinearPerpetual',
              status: 'Trading',
              baseCoin: 'BTC',
              quoteCoin: 'USDC',
              priceFilter: { tickSize: '0.5' },
              lotSizeFilter: { qtyStep: '0.001' },
            },
          ]
        : [
            {
              symbol: 'BTCUSDT',
              contractType: 'LinearPerpetual',
              status: 'Trading',
              baseCoin: 'BTC',
              quoteCoin: 'USDT',
              priceFilter: { tickSize: '0.10' },
              lotSizeFilter: { qtyStep: '0.001' },
            },
            {
              symbol: 'BTC-27JUN25',
              contractType: 'LinearFutures',
              status: 'Trading',
              baseCoin: 'BTC',
              quoteCoin: 'USDT',
              priceFilter: { tickSize: '0.5' },
              lotSizeFilter: { qtyStep: '0.001' },
            },
          ],
    },
  });

  it('maps spot and linear perpetuals from instrument metadata; perpetuals as <BASE>PERP-<QUOTE>, never colliding with spot', async () => {
    const adapter = new BybitAdapter();
    const urls: string[] = [];
    const rest = {
      getJson: <T>(r: { url: string }) => {
        urls.push(r.url);
        const u = new URL(r.url);
        return Promise.resolve((u.searchParams.get('category') === 'spot' ? spot : linear(u.searchParams.get('cursor') ?? undefined)) as T);
      },
    };
    const out = await adapter.resolveSymbols(rest, adapter.defaults, ['BTC-USDT', 'BTCPERP-USDT', 'BTCPERP-USDC', 'OLD-USDT']);
    expect(out.symbols.map((s) => [s.symbol, s.native, s.instrument.base, s.instrument.priceDecimals, s.instrument.sizeDecimals])).toEqual([
      ['BTC-USDT', 'BTCUSDT', 'BTC', 2, 6],
      ['BTCPERP-USDT', 'BTCUSDT', 'BTC', 1, 3],
      ['BTCPERP-USDC', 'BTCPERP', 'BTC', 1, 3],
    ]);
    expect(out.unknown).toEqual(['OLD-USDT']);
    expect(urls.map((u) => new URL(u).search)).toEqual([
      '?category=spot',
      '?category=linear&limit=1000',
      '?category=linear&limit=1000&cursor=page2',
    ]);
    // Spot alone asks for spot only.
    urls.length = 0;
    await adapter.resolveSymbols(rest, adapter.defaults, ['BTC-USDT']);
    expect(urls).toHaveLength(1);
  });

  it('puts linear perpetuals on their own /v5/public/linear connections (connectionGroup), never beside spot; spot subscribes ≤ 10 topics a request', () => {
    const adapter = new BybitAdapter();
    const perp = carried('BTCPERP-USDT', 'BTCUSDT', ['trades', 'l2']);
    const ethPerp = carried('ETHPERP-USDT', 'ETHUSDT', ['trades', 'l2']);
    expect(adapter.streamsFor(perp)).toBe(2); // a perpetual no longer takes a whole connection's budget
    expect(adapter.streamsFor(BTC)).toBe(3);
    // The core's sharding keeps the two endpoints apart, in order, and packs each group.
    const spot2 = carried('SOL-USDT', 'SOLUSDT');
    const shards = planShards(adapter, [BTC, perp, spot2, ethPerp]);
    expect(shards.map((sh) => sh.map((x) => x.symbol))).toEqual([
      ['BTC-USDT', 'SOL-USDT'],
      ['BTCPERP-USDT', 'ETHPERP-USDT'],
    ]);
    expect(shards.map((sh) => adapter.connectionPlan(adapter.defaults, sh).url)).toEqual([
      'wss://stream.bybit.com/v5/public/spot',
      'wss://stream.bybit.com/v5/public/linear',
    ]);
    const linearPlan = adapter.connectionPlan(adapter.defaults, [perp]);
    expect(linearPlan.url).toBe('wss://stream.bybit.com/v5/public/linear');
    expect(ops(linearPlan.subscribe)).toEqual([{ op: 'subscribe', args: ['publicTrade.BTCUSDT', 'orderbook.200.BTCUSDT'] }]);
    // Linear L1 comes from tickers (bid1/ask1, snapshot + deltas); spot tickers have no best bid/ask, spot L1 is orderbook.1.
    expect(adapter.topics(carried('BTCPERP-USDT', 'BTCUSDT', ['trades', 'l1', 'l2']), 200)).toEqual([
      'publicTrade.BTCUSDT',
      'tickers.BTCUSDT',
      'orderbook.200.BTCUSDT',
    ]);
    expect(adapter.topics(carried('BTC-USDT', 'BTCUSDT', ['l1']), 200)).toEqual(['orderbook.1.BTCUSDT']);
    const many = Array.from({ length: 7 }, (_, i) => carried(`C${i}-USDT`, `C${i}USDT`));
    const plan = adapter.connectionPlan(adapter.defaults, many);
    expect(plan.url).toBe('wss://stream.bybit.com/v5/public/spot');
    expect(ops(plan.subscribe).map((f) => f.args.length)).toEqual([10, 10, 1]);
    expect(ops(plan.subscribe)[0]?.args.slice(0, 3)).toEqual(['publicTrade.C0USDT', 'orderbook.1.C0USDT', 'orderbook.200.C0USDT']);
    expect(linearUrl('ws://127.0.0.1:9105/v5/public/spot')).toBe('ws://127.0.0.1:9105/v5/public/linear');
  });
});
