import { CandleBuilder } from './candle-builder';
import { DecimalSum } from './decimal-sum';

describe('CandleBuilder', () => {
  // Seven trades over three seconds; the expected candles below were computed by hand.
  const trades: [price: string, size: string, ts: number][] = [
    ['100.0', '0.1', 1_700_000_000_100],
    ['101.5', '0.2', 1_700_000_000_400],
    ['99.5', '0.3', 1_700_000_000_900],
    ['100.5', '1', 1_700_000_000_999],
    ['102', '0.05', 1_700_000_001_000],
    ['98', '2', 1_700_000_002_500],
    ['98.5', '0.5', 1_700_000_002_000], // arrives later but earlier in time: the new open
  ];

  it('builds 1 s candles: open/high/low/close, exact volume and count', () => {
    const b = new CandleBuilder(1000);
    for (const [p, s, ts] of trades) b.add(p, s, ts);
    expect(b.candle(1_700_000_002_000)).toEqual({ t: 1_700_000_002_000, o: '98.5', h: '98.5', l: '98', c: '98', v: '2.5', n: 2 });
    expect(b.candle(1_700_000_001_000)).toEqual({ t: 1_700_000_001_000, o: '102', h: '102', l: '102', c: '102', v: '0.05', n: 1 });
  });

  it('the first second, checked before later trades move it out of memory', () => {
    const b = new CandleBuilder(1000);
    for (const [p, s, ts] of trades.slice(0, 4)) b.add(p, s, ts);
    expect(b.candle(1_700_000_000_000)).toEqual({ t: 1_700_000_000_000, o: '100.0', h: '101.5', l: '99.5', c: '100.5', v: '1.6', n: 4 });
  });

  it('builds the 1 m candle of the same trades', () => {
    const b = new CandleBuilder(60_000);
    for (const [p, s, ts] of trades) b.add(p, s, ts);
    // 1_700_000_000_100 is 1_699_999_980_000 + 20_100
    expect(b.candle(1_699_999_980_000)).toEqual({ t: 1_699_999_980_000, o: '100.0', h: '102', l: '98', c: '98', v: '4.15', n: 7 });
  });

  it('a trade older than the previous bucket is counted as late and ignored', () => {
    const b = new CandleBuilder(1000);
    b.add('1', '1', 5000);
    b.add('1', '1', 7000);
    expect(b.add('1', '1', 5500)).toBeUndefined();
    expect(b.late).toBe(1);
  });
});

describe('DecimalSum', () => {
  it('adds decimal strings exactly, exponents included', () => {
    const s = new DecimalSum();
    s.add('0.1');
    s.add('0.2');
    expect(s.toString()).toBe('0.3');
    s.add('1e-8');
    s.add('2.5E1');
    expect(s.toString()).toBe('25.30000001');
    s.add('0.69999999');
    expect(s.toString()).toBe('26');
  });
});
