import { OrderBook } from './order-book';

describe('OrderBook', () => {
  it('keeps both sides sorted best-first and deletes with size 0', () => {
    const b = new OrderBook();
    b.set('bid', 100, 1);
    b.set('bid', 102, 1);
    b.set('bid', 101, 1);
    b.set('ask', 105, 1);
    b.set('ask', 103, 1);
    expect(b.bids.map((l) => l.px)).toEqual([102, 101, 100]);
    expect(b.asks.map((l) => l.px)).toEqual([103, 105]);
    expect(b.set('bid', 101, 0)).toEqual({ side: 'bid', px: 101, sz: 0 });
    expect(b.set('bid', 999, 0)).toBeUndefined();
    expect(b.bids.map((l) => l.px)).toEqual([102, 100]);
  });
});

