import type { Trade } from '@cryptoscalp/messaging';

import { aggregateBatch, tradeOrder } from './batch-aggregates';

const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);
const trade = (id: string, ts: number, price: string, size: string, symbol = 'BTC-USDT'): Trade => ({
  v: 1,
  venue: 'binance',
  symbol,
  id,
  price,
  size,
  side: 'buy',
  ts,
  recvTs: ts * 1000,
});

describe('candles and counts of a batch (the fast write path)', () => {
  it('computes open, high, low, close, volume and count exactly, per minute and instrument', () => {
    const a = aggregateBatch([
      trade('11', T0 + 5_000, '100.10', '0.1'),
      trade('9', T0 + 5_000, '100.05', '0.2'), // same time, shorter id: it opens the minute
      trade('12', T0 + 59_999, '99.9', '1e-8'),
      trade('13', T0 + 30_000, '100.2000', '0.30000000'),
      trade('14', T0 + 60_000, '101', '5'), // the next minute
      trade('1', T0 + 1_000, '7', '2', 'ETH-USDT'),
    ]);
    expect(a.candles).toEqual([
      {
        venue: 'binance',
        symbol: 'BTC-USDT',
        bucket: T0,
        open: '100.05',
        high: '100.2000',
        low: '99.9',
        close: '99.9',
        // 0.1 + 0.2 + 0.00000001 + 0.3, exactly (floats give 0.6000000100000001)
        volume: '0.60000001',
        count: 4,
        openTs: T0 + 5_000,
        openId: '9',
        closeTs: T0 + 59_999,
        closeId: '12',
      },
      { venue: 'binance', symbol: 'BTC-USDT', bucket: T0 + 60_000, open: '101', high: '101', low: '101', close: '101', volume: '5', count: 1, openTs: T0 + 60_000, openId: '14', closeTs: T0 + 60_000, closeId: '14' },
      { venue: 'binance', symbol: 'ETH-USDT', bucket: T0, open: '7', high: '7', low: '7', close: '7', volume: '2', count: 1, openTs: T0 + 1_000, openId: '1', closeTs: T0 + 1_000, closeId: '1' },
    ]);
    expect(a.instruments).toEqual([
      { venue: 'binance', symbol: 'BTC-USDT', count: 5, firstTs: T0 + 5_000, lastTs: T0 + 60_000 },
      { venue: 'binance', symbol: 'ETH-USDT', count: 1, firstTs: T0 + 1_000, lastTs: T0 + 1_000 },
    ]);
  });

  it('compares prices as decimals, not as strings ("9.5" < "10", "1e2" = 100)', () => {
    const a = aggregateBatch([trade('1', T0, '9.5', '1'), trade('2', T0 + 1, '10', '1'), trade('3', T0 + 2, '1e2', '1'), trade('4', T0 + 3, '0.95e1', '1')]);
    expect(a.candles[0]).toMatchObject({ high: '1e2', low: '9.5', open: '9.5', close: '0.95e1', volume: '4' });
  });

  it('leaves out the trades the payload does not store', () => {
    const a = aggregateBatch([trade('1', T0, '1', '1'), trade('2', T0 + 1, '2', '1')], (i) => i === 1);
    expect(a.candles).toMatchObject([{ open: '2', count: 1 }]);
    expect(a.instruments).toMatchObject([{ count: 1, firstTs: T0 + 1 }]);
  });

  it('orders trades by time, then numeric ids by length, then bytewise', () => {
    expect(tradeOrder(1, '10', 2, '9')).toBe(-1);
    expect(tradeOrder(1, '10', 1, '9')).toBe(1);
    expect(tradeOrder(1, 'B', 1, 'a')).toBe(-1); // bytewise: 'B' (0x42) before 'a' (0x61)
    expect(tradeOrder(1, 'x', 1, 'x')).toBe(0);
  });
});
