import type { L1, L2, Trade } from '@cryptoscalp/messaging';

import { MarketState, type MarketStateOptions } from './market-state';

const OPTIONS: MarketStateOptions = {
  bookDepth: 2,
  tradesMaxLen: 100,
  candlesKeep: { '1s': 10, '1m': 10 },
  l1TtlMs: 60_000,
  bookTtlMs: 60_000,
  historyTtlMs: 3_600_000,
  bboStaleMs: 1000,
  maxPendingTrades: 5,
  maxInstruments: 100,
};

const l1 = (venue: L1['venue'], bidPx: string, askPx: string, seq?: number, ts = 1000): L1 => ({
  v: 1,
  venue,
  symbol: 'BTC-USDT',
  bidPx,
  bidSz: '1',
  askPx,
  askSz: '2',
  ...(seq !== undefined ? { seq } : {}),
  ts,
  recvTs: ts * 1000,
});
const trade = (id: string, price = '100', ts = 1000): Trade => ({
  v: 1,
  venue: 'binance',
  symbol: 'BTC-USDT',
  id,
  price,
  size: '1',
  side: 'buy',
  ts,
  recvTs: ts * 1000,
});
const l2 = (snapshot: boolean, seq: number, bids: [string, string][], asks: [string, string][]): L2 => ({
  v: 1,
  venue: 'okx',
  symbol: 'BTC-USDT',
  snapshot,
  bids,
  asks,
  seq,
  ts: 1000,
  recvTs: 1,
});

const setsOf = (cmds: (string | number)[][], key: string) => cmds.filter((c) => c[0] === 'set' && c[1] === key);

describe('MarketState (conflation and data model)', () => {
  let now = 10_000;
  const clock = () => now;
  beforeEach(() => (now = 10_000));

  it('conflates: 1,000 L1 updates within one window become one SET of the latest', () => {
    const s = new MarketState(OPTIONS, clock);
    for (let i = 1; i <= 1000; i++) s.applyL1(l1('binance', `${100 + i}`, `${200 + i}`, i));
    const batch = s.collect();
    const sets = setsOf(batch.commands, 'l1:{binance:BTC-USDT}');
    expect(sets).toHaveLength(1);
    expect(JSON.parse(String(sets[0]?.[2]))).toMatchObject({ bidPx: '1100', askPx: '1200', seq: 1000 });
    expect(batch.updates).toBe(1000);
    expect(s.hasWork).toBe(false);
  });

  it('latest wins by sequence: an older seq arriving late is ignored', () => {
    const s = new MarketState(OPTIONS, clock);
    s.applyL1(l1('binance', '101', '102', 7));
    s.applyL1(l1('binance', '99', '100', 6));
    const value = JSON.parse(String(setsOf(s.collect().commands, 'l1:{binance:BTC-USDT}')[0]?.[2]));
    expect(value.seq).toBe(7);
    expect(s.counters.ignored.old_l1).toBe(1);
  });

  it('never conflates trades: every trade is one XADD, in arrival order, duplicates dropped', () => {
    const s = new MarketState(OPTIONS, clock);
    for (const id of ['a', 'b', 'a', 'c']) s.applyTrade(trade(id));
    const xadds = s.collect().commands.filter((c) => c[0] === 'xadd');
    expect(xadds.map((c) => JSON.parse(String(c[6])).id)).toEqual(['a', 'b', 'c']);
    expect(xadds[0]?.slice(0, 5)).toEqual(['xadd', 'trades:{binance:BTC-USDT}', 'MAXLEN', '100', '*']);
  });

  it('bounds trades waiting for Redis and counts what it drops', () => {
    const s = new MarketState(OPTIONS, clock);
    for (let i = 0; i < 8; i++) s.applyTrade(trade(`t${i}`));
    expect(s.pendingTrades).toBeLessThanOrEqual(5);
    expect(s.counters.tradesDropped + s.pendingTrades).toBe(8);
  });

  it('a failed batch is restored: the same keys and trades are written by the next collect', () => {
    const s = new MarketState(OPTIONS, clock);
    s.applyL1(l1('binance', '1', '2', 1));
    s.applyTrade(trade('x'));
    const failed = s.collect();
    s.restore(failed);
    const again = s.collect();
    expect(setsOf(again.commands, 'l1:{binance:BTC-USDT}')).toHaveLength(1);
    expect(again.commands.filter((c) => c[0] === 'xadd')).toHaveLength(1);
  });

  it('top-N book: writes the best N levels; a gap status marks it stale until the next snapshot', () => {
    const s = new MarketState(OPTIONS, clock);
    s.applyL2(
      l2(
        true,
        1,
        [
          ['10', '1'],
          ['9', '1'],
          ['8', '1'],
        ],
        [
          ['11', '1'],
          ['12', '1'],
          ['13', '1'],
        ],
      ),
    );
    let doc = JSON.parse(String(setsOf(s.collect().commands, 'book:{okx:BTC-USDT}')[0]?.[2]));
    expect(doc).toEqual({
      venue: 'okx',
      symbol: 'BTC-USDT',
      seq: 1,
      bids: [
        ['10', '1'],
        ['9', '1'],
      ],
      asks: [
        ['11', '1'],
        ['12', '1'],
      ],
      ts: 1000,
    });
    s.applyStatus({ v: 1, venue: 'okx', symbol: 'BTC-USDT', state: 'gap', reason: 'seq jump', ts: 1001 });
    doc = JSON.parse(String(setsOf(s.collect().commands, 'book:{okx:BTC-USDT}')[0]?.[2]));
    expect(doc.stale).toBe('gap');
    s.applyL2(l2(false, 2, [['10', '0']], []));
    expect(s.counters.ignored.unsynced_l2).toBe(1);
    s.applyL2(l2(true, 5, [['20', '1']], [['21', '1']]));
    doc = JSON.parse(String(setsOf(s.collect().commands, 'book:{okx:BTC-USDT}')[0]?.[2]));
    expect(doc.stale).toBeUndefined();
    expect(doc.bids).toEqual([['20', '1']]);
  });

  it('consolidated BBO: best bid and best ask across venues with their venue; stale quotes leave it', () => {
    const s = new MarketState(OPTIONS, clock);
    s.applyL1(l1('binance', '100.1', '100.5'));
    s.applyL1(l1('kraken', '100.3', '100.6'));
    s.applyL1(l1('okx', '99.9', '100.4'));
    let bbo = JSON.parse(String(setsOf(s.collect().commands, 'bbo:{BTC-USDT}')[0]?.[2]));
    expect(bbo.bid).toMatchObject({ venue: 'kraken', px: '100.3' });
    expect(bbo.ask).toMatchObject({ venue: 'okx', px: '100.4' });
    expect(bbo.venues).toBe(3);
    // binance keeps quoting; kraken and okx go quiet for longer than the staleness limit
    now += 1500;
    s.applyL1(l1('binance', '100.1', '100.5', undefined, 2000));
    bbo = JSON.parse(String(setsOf(s.collect().commands, 'bbo:{BTC-USDT}')[0]?.[2]));
    expect(bbo).toMatchObject({ bid: { venue: 'binance', px: '100.1' }, ask: { venue: 'binance', px: '100.5' }, venues: 1 });
    // nothing quotes any more: the sweep recomputes and the BBO is deleted
    now += 1500;
    s.sweepStaleQuotes();
    expect(s.collect().commands).toContainEqual(['del', 'bbo:{BTC-USDT}']);
  });

  it('a venue whose feed is disconnected leaves the BBO at once', () => {
    const s = new MarketState(OPTIONS, clock);
    s.applyL1(l1('binance', '100', '101'));
    s.applyL1(l1('kraken', '100.5', '100.8'));
    s.collect();
    s.applyStatus({ v: 1, venue: 'kraken', symbol: 'BTC-USDT', state: 'disconnected', reason: 'ws closed', ts: 1 });
    const bbo = JSON.parse(String(setsOf(s.collect().commands, 'bbo:{BTC-USDT}')[0]?.[2]));
    expect(bbo.bid.venue).toBe('binance');
  });

  it('candles are written per interval, replacing the bucket and trimming to the kept count', () => {
    const s = new MarketState(OPTIONS, clock);
    s.applyTrade(trade('1', '100', 1_000));
    s.applyTrade(trade('2', '105', 1_500));
    const cmds = s.collect().commands.filter((c) => String(c[1]).startsWith('candles:1s'));
    expect(cmds).toEqual([
      ['zremrangebyscore', 'candles:1s:{binance:BTC-USDT}', '1000', '1000'],
      ['zadd', 'candles:1s:{binance:BTC-USDT}', '1000', JSON.stringify({ t: 1000, o: '100', h: '105', l: '100', c: '105', v: '2', n: 2 })],
      ['zremrangebyrank', 'candles:1s:{binance:BTC-USDT}', '0', '-11'],
      ['pexpire', 'candles:1s:{binance:BTC-USDT}', '3600000'],
    ]);
  });

  it('trims a candle set only when a new bucket opens and refreshes history TTLs at most once a second (again after a failed batch)', () => {
    const s = new MarketState(OPTIONS, clock);
    const kinds = (b: ReturnType<MarketState['collect']>, key: string) => b.commands.filter((c) => c[1] === key).map((c) => c[0]);
    const c1s = 'candles:1s:{binance:BTC-USDT}';
    const trades = 'trades:{binance:BTC-USDT}';
    s.applyTrade(trade('1', '100', 1_000));
    s.collect();
    now += 10; // next flush, same 1 s bucket: the value is replaced, nothing else
    s.applyTrade(trade('2', '101', 1_100));
    let b = s.collect();
    expect(kinds(b, c1s)).toEqual(['zremrangebyscore', 'zadd']);
    expect(kinds(b, trades)).toEqual(['xadd']);
    now += 10; // a new bucket: trimmed
    s.applyTrade(trade('3', '102', 2_000));
    expect(kinds(s.collect(), c1s)).toEqual(['zremrangebyscore', 'zadd', 'zremrangebyrank']);
    now += 1_000; // a second later: TTLs refreshed
    s.applyTrade(trade('4', '103', 2_100));
    b = s.collect();
    expect(kinds(b, c1s)).toEqual(['zremrangebyscore', 'zadd', 'pexpire']);
    expect(kinds(b, trades)).toEqual(['xadd', 'pexpire']);
    s.applyTrade(trade('5', '104', 2_200));
    b = s.collect();
    s.restore(b); // Redis did not take it: everything is sent again
    b = s.collect();
    expect(kinds(b, c1s).slice(-2)).toEqual(['zremrangebyrank', 'pexpire']); // after every held bucket rewritten
    expect(kinds(b, trades)).toEqual(['xadd', 'pexpire']);
  });

  it('markAllDirty rewrites every key held (after Redis came back empty)', () => {
    const s = new MarketState(OPTIONS, clock);
    s.applyL1(l1('binance', '1', '2', 1));
    s.applyL2(l2(true, 1, [['1', '1']], [['2', '1']]));
    s.collect();
    expect(s.hasWork).toBe(false);
    s.markAllDirty();
    const keys = s
      .collect()
      .commands.filter((c) => c[0] === 'set')
      .map((c) => c[1]);
    expect(keys).toEqual(expect.arrayContaining(['l1:{binance:BTC-USDT}', 'book:{okx:BTC-USDT}', 'bbo:{BTC-USDT}']));
  });
});
