import { compareDecimal } from './decimal';
import { DecimalBook } from './decimal-book';

describe('DecimalBook', () => {
  it('keeps levels sorted best first with the strings exactly as received', () => {
    const book = new DecimalBook();
    book.set('bid', '0.35130000', '6195.00000000');
    book.set('bid', '0.35170000', '4265.00000000');
    book.set('bid', '0.34750000', '5548.00000000');
    book.set('ask', '0.35290000', '10968.00000000');
    book.set('ask', '0.35380000', '3027.00000000');
    book.set('ask', '0.35200001', '1.5');
    expect(book.top('bid')).toEqual([
      ['0.35170000', '4265.00000000'],
      ['0.35130000', '6195.00000000'],
      ['0.34750000', '5548.00000000'],
    ]);
    expect(book.top('ask', 2)).toEqual([
      ['0.35200001', '1.5'],
      ['0.35290000', '10968.00000000'],
    ]);
    expect(book.best('bid')).toEqual(['0.35170000', '4265.00000000']);
  });

  it('treats differently written equal prices as one level, and any zero size as a delete', () => {
    const book = new DecimalBook();
    book.set('bid', '0.05120', '1');
    book.set('bid', '0.0512', '2');
    expect(book.top('bid')).toEqual([['0.0512', '2']]);
    expect(book.set('bid', '0.051200000', '0.00000000')).toBe(true);
    expect(book.bidCount).toBe(0);
    // Removing a level the book never had is normal (deep books): a no-op.
    expect(book.set('ask', '1.0', '0')).toBe(false);
  });

  it('orders prices that floats cannot tell apart exactly', () => {
    const book = new DecimalBook();
    const a = '1.00000000000000000001';
    const b = '1.00000000000000000002';
    expect(Number(a)).toBe(Number(b));
    book.set('ask', b, '1');
    book.set('ask', a, '1');
    book.set('bid', a, '1');
    book.set('bid', b, '2');
    expect(book.top('ask').map((l) => l[0])).toEqual([a, b]);
    expect(book.top('bid').map((l) => l[0])).toEqual([b, a]);
    expect(book.isCrossed()).toBe(true);
  });

  it('detects a crossed or locked book, truncates and reloads', () => {
    const book = new DecimalBook();
    book.load(
      [
        ['100.0', '1'],
        ['99.5', '1'],
        ['99.0', '1'],
      ],
      [
        ['100.5', '1'],
        ['101', '1'],
      ],
    );
    expect(book.isCrossed()).toBe(false);
    book.set('bid', '100.50', '3');
    expect(book.isCrossed()).toBe(true);
    book.truncate(1);
    expect(book.top('bid')).toEqual([['100.50', '3']]);
    expect(book.top('ask')).toEqual([['100.5', '1']]);
    book.load([['1', '1']], []);
    expect(book.bidCount + book.askCount).toBe(1);
  });

  it('rejects input that is not a decimal', () => {
    const book = new DecimalBook();
    expect(() => book.set('bid', 'abc', '1')).toThrow(RangeError);
    expect(() => book.set('bid', '1', '-1')).toThrow(RangeError);
  });
});

describe('DecimalBook.load and setLevel (fast paths)', () => {
  // Independent oracle: the last write of each price wins, zero sizes delete, sorted with compareDecimal.
  const naive = (levels: [string, string][], side: 'bid' | 'ask') => {
    const byValue = new Map<string, [string, string]>();
    for (const l of levels) {
      const k = compareKey(l[0]);
      if (Number(l[1]) === 0) byValue.delete(k);
      else byValue.set(k, l);
    }
    const out = [...byValue.values()].sort((a, b) => compareDecimal(a[0], b[0]));
    return side === 'bid' ? out.reverse() : out;
  };
  const compareKey = (p: string) => p.replace(/^0+(?=\d)/, '').replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const price = () => (rnd() * 100).toFixed(Math.floor(rnd() * 4) + 1) + (rnd() < 0.2 ? '0' : '');

  it('loads a best-first snapshot exactly as level-by-level writes would, keeping the tuples', () => {
    const bids = naive(Array.from({ length: 500 }, () => [price(), '1.5'] as [string, string]), 'bid');
    const asks = naive(Array.from({ length: 500 }, () => [(100 + rnd() * 100).toFixed(3), '2']), 'ask');
    const book = new DecimalBook();
    book.load(bids, asks);
    expect(book.top('bid')).toEqual(bids);
    expect(book.top('ask')).toEqual(asks);
    expect(book.top('bid', 1)[0]).toBe(bids[0]);
  });

  it('falls back to level-by-level writes for unsorted input, duplicates and zero sizes', () => {
    for (let round = 0; round < 20; round++) {
      const bids = Array.from({ length: 200 }, () => [price(), rnd() < 0.1 ? '0' : '3'] as [string, string]);
      const asks = Array.from({ length: 200 }, () => [price(), rnd() < 0.1 ? '0.000' : '4'] as [string, string]);
      const book = new DecimalBook();
      book.set('bid', '55', '9'); // replaced, never merged
      book.load(bids, asks);
      expect(book.top('bid')).toEqual(naive(bids, 'bid'));
      expect(book.top('ask')).toEqual(naive(asks, 'ask'));
    }
  });

  it('leaves an empty book when a snapshot is rejected', () => {
    const book = new DecimalBook();
    book.set('bid', '1', '1');
    expect(() => book.load([['3', '1'], ['2', '1'], ['x', '1']], [])).toThrow(RangeError);
    expect(book.bidCount).toBe(0);
    expect(book.top('bid')).toEqual([]);
  });

  it('setLevel stores the given tuple and deletes on a zero size', () => {
    const book = new DecimalBook();
    const level = ['10.5', '2'] as const;
    book.setLevel('ask', level);
    expect(book.best('ask')).toBe(level);
    expect(book.setLevel('ask', ['10.50', '0'])).toBe(true);
    expect(book.askCount).toBe(0);
  });
});
