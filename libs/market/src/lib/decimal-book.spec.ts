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
