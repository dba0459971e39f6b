import { L2Book, type LevelTuple } from './l2-book';

/** Independent oracle: a plain object per side, sorted only when read. */
class NaiveBook {
  bids: Record<string, string> = {};
  asks: Record<string, string> = {};
  apply(snapshot: boolean, bids: LevelTuple[], asks: LevelTuple[]) {
    if (snapshot) {
      this.bids = {};
      this.asks = {};
    }
    for (const [p, s] of bids) {
      if (parseFloat(s) === 0) delete this.bids[p];
      else this.bids[p] = s;
    }
    for (const [p, s] of asks) {
      if (parseFloat(s) === 0) delete this.asks[p];
      else this.asks[p] = s;
    }
  }
  top(n: number) {
    const bids = Object.entries(this.bids).sort((a, b) => parseFloat(b[0]) - parseFloat(a[0]));
    const asks = Object.entries(this.asks).sort((a, b) => parseFloat(a[0]) - parseFloat(b[0]));
    return { bids: bids.slice(0, n), asks: asks.slice(0, n) };
  }
}

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('L2Book', () => {
  it('applies a documented example: snapshot, then deltas that update, insert and delete (size "0")', () => {
    const book = new L2Book();
    book.apply(
      true,
      [
        ['100.5', '1'],
        ['100.4', '2'],
      ],
      [
        ['100.6', '3'],
        ['100.7', '4'],
      ],
      10,
      undefined,
      1,
    );
    book.apply(
      false,
      [
        ['100.5', '0'],
        ['100.45', '5'],
      ],
      [
        ['100.55', '1.5'],
        ['100.7', '0.25'],
      ],
      11,
      10,
      2,
    );
    expect(book.bids(10)).toEqual([
      ['100.45', '5'],
      ['100.4', '2'],
    ]);
    expect(book.asks(10)).toEqual([
      ['100.55', '1.5'],
      ['100.6', '3'],
      ['100.7', '0.25'],
    ]);
    expect(book.seq).toBe(11);
  });

  it('matches a naive reference on 5,000 random snapshots and deltas (top 20, both sides, best first)', () => {
    const rand = rng(42);
    const book = new L2Book();
    const ref = new NaiveBook();
    let seq = 0;
    const level = (mid: number, side: 1 | -1): LevelTuple => {
      const px = (mid + side * (1 + Math.floor(rand() * 60)) * 0.5).toFixed(2);
      const sz = rand() < 0.3 ? '0' : (rand() * 10).toFixed(4);
      return [px, sz];
    };
    for (let i = 0; i < 5000; i++) {
      const snapshot = i === 0 || rand() < 0.01;
      const n = snapshot ? 40 : 1 + Math.floor(rand() * 6);
      const bids = Array.from({ length: n }, () => level(1000, -1));
      const asks = Array.from({ length: n }, () => level(1000, 1));
      seq++;
      book.apply(snapshot, bids, asks, seq, snapshot ? undefined : seq - 1, i);
      ref.apply(snapshot, bids, asks);
      if (i % 97 === 0 || i === 4999) {
        const want = ref.top(20);
        expect({ bids: book.bids(20), asks: book.asks(20) }).toEqual(want);
      }
    }
  });

  it('ignores old and duplicate sequences and deltas before the first snapshot', () => {
    const book = new L2Book();
    expect(book.apply(false, [['1', '1']], [], 5, 4, 0)).toBe('unsynced');
    book.apply(true, [['1', '1']], [['2', '1']], 10, undefined, 0);
    expect(book.apply(false, [['1', '9']], [], 10, 9, 0)).toBe('old');
    expect(book.apply(false, [['1', '9']], [], 7, 6, 0)).toBe('old');
    expect(book.bids(1)).toEqual([['1', '1']]);
  });

  it('a prevSeq that does not follow marks the book stale until the next snapshot replaces it', () => {
    const book = new L2Book();
    book.apply(true, [['10', '1']], [['11', '1']], 1, undefined, 0);
    expect(book.apply(false, [['9', '1']], [], 5, 3, 0)).toBe('gap');
    expect(book.staleReason).toBe('sequence');
    expect(book.apply(false, [['8', '1']], [], 6, 5, 0)).toBe('unsynced');
    book.apply(true, [['7', '2']], [['12', '1']], 20, undefined, 0);
    expect(book.stale).toBe(false);
    // the snapshot replaced everything: no ghost level from before
    expect(book.bids(10)).toEqual([['7', '2']]);
    expect(book.asks(10)).toEqual([['12', '1']]);
  });

  it('keeps at most maxLevels per side, dropping the worst', () => {
    const book = new L2Book(3);
    book.apply(
      true,
      [
        ['1', '1'],
        ['2', '1'],
        ['3', '1'],
        ['4', '1'],
      ],
      [],
      1,
      undefined,
      0,
    );
    expect(book.bids(10).map((l) => l[0])).toEqual(['4', '3', '2']);
    book.apply(false, [['0.5', '1']], [], 2, 1, 0);
    expect(book.depth.bids).toBe(3);
  });
});
