import { boundaries, formatFixed, type Level, parseFixed, topNChanges } from '@cryptoscalp/market';

import { instrument } from './instrument';
import { SyntheticMarket } from './market';

/** A depth-limited client: applies changes, then truncates to `depth` like Kraken/OKX clients. */
function applyView(view: Map<number, number>[], changes: { side: 'bid' | 'ask'; px: number; sz: number }[], depth: number): void {
  for (const c of changes) {
    const m = view[c.side === 'bid' ? 0 : 1] as Map<number, number>;
    if (c.sz === 0) m.delete(c.px);
    else m.set(c.px, c.sz);
  }
  for (const [i, m] of view.entries()) {
    const sorted = [...m.keys()].sort((a, b) => (i === 0 ? b - a : a - b));
    for (const px of sorted.slice(depth)) m.delete(px);
  }
}

function asLevels(m: Map<number, number>, desc: boolean): Level[] {
  return [...m.entries()].sort((a, b) => (desc ? b[0] - a[0] : a[0] - b[0])).map(([px, sz]) => ({ px, sz }));
}

describe('SyntheticMarket', () => {
  it('is deterministic for a seed and never crosses over 20,000 events', () => {
    const a = new SyntheticMarket(instrument('BTC-USDT'), { seed: 42 });
    const b = new SyntheticMarket(instrument('BTC-USDT'), { seed: 42 });
    let trades = 0;
    let prevSeq = a.seq;
    for (let i = 0; i < 20_000; i++) {
      const ea = a.step();
      expect(b.step()).toEqual(ea);
      if (ea.trade) trades++;
      if (a.book.isCrossed()) throw new Error(`crossed at event ${i}`);
      expect(ea.seq).toBe(prevSeq + (ea.changes.length ? 1 : 0));
      prevSeq = ea.seq;
    }
    expect(trades).toBeGreaterThan(3000);
    expect(a.book.bids.length).toBeGreaterThanOrEqual(100);
    expect(a.book.asks.length).toBeLessThanOrEqual(200);
    expect(new SyntheticMarket(instrument('BTC-USDT'), { seed: 43 }).step()).not.toEqual(
      new SyntheticMarket(instrument('BTC-USDT'), { seed: 42 }).step(),
    );
  });

  it('trades consume liquidity at the touch and ids increase by one', () => {
    const m = new SyntheticMarket(instrument('ETH-USDT'), { seed: 7, tradeRatio: 1 });
    let last = 0;
    for (let i = 0; i < 200; i++) {
      const bestAsk = m.book.best('ask');
      const bestBid = m.book.best('bid');
      const e = m.step();
      if (!e.trade) continue;
      expect(e.trade.id).toBe(last + 1);
      last = e.trade.id;
      expect(e.trade.px).toBe(e.trade.side === 'buy' ? bestAsk?.px : bestBid?.px);
    }
  });
});

describe('topNChanges (depth-limited views)', () => {
  it.each([1, 10, 25, 50])('a depth-%i client applying the changes always equals the true top-N', (depth) => {
    const m = new SyntheticMarket(instrument('SOL-USDT'), { seed: depth, maxLevels: 60 });
    const view = [new Map<number, number>(), new Map<number, number>()];
    applyView(
      view,
      [
        ...m.book.top('bid', depth).map((l) => ({ side: 'bid' as const, ...l })),
        ...m.book.top('ask', depth).map((l) => ({ side: 'ask' as const, ...l })),
      ],
      depth,
    );
    let before = boundaries(m.book, depth);
    for (let i = 0; i < 5000; i++) {
      const e = m.step();
      applyView(view, topNChanges(m.book, depth, e.changes, before), depth);
      before = boundaries(m.book, depth);
      expect(asLevels(view[0] as Map<number, number>, true)).toEqual(m.book.top('bid', depth));
      expect(asLevels(view[1] as Map<number, number>, false)).toEqual(m.book.top('ask', depth));
    }
  });
});

describe('decimal', () => {
  it('keeps trailing zeros and round-trips exactly', () => {
    expect(formatFixed(600001, 1)).toBe('60000.1');
    expect(formatFixed(5, 8)).toBe('0.00000005');
    expect(formatFixed(120, 2)).toBe('1.20');
    expect(formatFixed(7, 0)).toBe('7');
    expect(parseFixed('0.35130000', 8)).toBe(35130000);
    expect(parseFixed(formatFixed(123456789, 4), 4)).toBe(123456789);
  });
});
