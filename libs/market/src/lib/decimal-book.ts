import { compareDecimal } from './decimal';

/** A level as the venue wrote it: `[price, size]` decimal strings, kept exactly. */
export type DecimalLevel = readonly [price: string, size: string];

/** Non-negative decimal, optionally with an exponent (`"1e-8"`). */
const NUMBER = /^\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/;

interface Entry {
  /** `Number(price)`: a fast sort key; ties (only possible past ~15 significant digits) fall back to exact comparison. */
  key: number;
  level: DecimalLevel;
}

/**
 * A full-depth order book of decimal strings exactly as received (no rounding, no re-rendering),
 * for venues whose precision is not known in advance or whose checksums need the original digits.
 * Prices are ordered exactly: by their float value first (monotonic in the decimal value) and by
 * `compareDecimal` where floats tie, so `"0.1"` and `"0.10"` are the same level.
 *
 * Each side is kept worst-first internally so that the busy top of the book sits at the end of
 * the array (inserts and deletes near the touch move few elements).
 */
export class DecimalBook {
  /** Ascending prices: best bid last. */
  private readonly bids: Entry[] = [];
  /** Descending prices: best ask last. */
  private readonly asks: Entry[] = [];

  get bidCount(): number {
    return this.bids.length;
  }

  get askCount(): number {
    return this.asks.length;
  }

  clear(): void {
    this.bids.length = 0;
    this.asks.length = 0;
  }

  /** Sets a level; a size equal to zero (`"0"`, `"0.00000000"`) deletes it. Returns false for a no-op delete. */
  set(side: 'bid' | 'ask', price: string, size: string): boolean {
    return this.setLevel(side, [price, size]);
  }

  /**
   * `set` with the venue's own `[price, size]` tuple, stored as it is (no copy): the hot path of
   * book updates. The tuple must not be mutated afterwards (parsed frames never are).
   */
  setLevel(side: 'bid' | 'ask', level: DecimalLevel): boolean {
    const price = level[0];
    const size = level[1];
    if (!NUMBER.test(price)) throw new RangeError(`"${price}" is not a price`);
    if (!NUMBER.test(size)) throw new RangeError(`"${size}" is not a size`);
    const arr = side === 'bid' ? this.bids : this.asks;
    const key = Number(price);
    const i = this.find(arr, side, key, price);
    if (Number(size) === 0) {
      if (i < 0) return false;
      arr.splice(i, 1);
      return true;
    }
    if (i >= 0) (arr[i] as Entry).level = level;
    else if (-i - 1 === arr.length) arr.push({ key, level });
    else arr.splice(-i - 1, 0, { key, level });
    return true;
  }

  /**
   * Replaces the whole book. A snapshot sent best first with distinct prices and no zero sizes
   * (what every venue sends) is loaded in one pass; anything else goes level by level through `set`.
   */
  load(bids: readonly DecimalLevel[], asks: readonly DecimalLevel[]): void {
    this.clear();
    try {
      if (!this.loadSorted('bid', bids)) {
        this.bids.length = 0;
        for (const l of bids) this.setLevel('bid', l);
      }
      if (!this.loadSorted('ask', asks)) {
        this.asks.length = 0;
        for (const l of asks) this.setLevel('ask', l);
      }
    } catch (err) {
      // Never leave a half-filled side behind (the fast path fills from the end).
      this.clear();
      throw err;
    }
  }

  /** Fast path of `load` for one side: false (side left partly filled) when the input is not strictly best first. */
  private loadSorted(side: 'bid' | 'ask', levels: readonly DecimalLevel[]): boolean {
    const arr = side === 'bid' ? this.bids : this.asks;
    const dir = side === 'bid' ? 1 : -1;
    const n = levels.length;
    arr.length = n;
    for (let j = 0; j < n; j++) {
      const level = levels[j] as DecimalLevel;
      const price = level[0];
      const size = level[1];
      if (!NUMBER.test(price)) throw new RangeError(`"${price}" is not a price`);
      if (!NUMBER.test(size)) throw new RangeError(`"${size}" is not a size`);
      const key = Number(price);
      if (Number(size) === 0) return false;
      // Worst first inside: the j-th best goes to n-1-j; it must be strictly worse than the one before.
      const better = arr[n - j] as Entry | undefined;
      if (better) {
        const c = better.key === key ? compareDecimal(better.level[0], price) : better.key < key ? -1 : 1;
        if (c * dir <= 0) return false;
      }
      arr[n - 1 - j] = { key, level };
    }
    return true;
  }

  best(side: 'bid' | 'ask'): DecimalLevel | undefined {
    const arr = side === 'bid' ? this.bids : this.asks;
    return arr[arr.length - 1]?.level;
  }

  /** Best `n` levels of a side, best first (the stored tuples; do not mutate). */
  top(side: 'bid' | 'ask', n = Infinity): DecimalLevel[] {
    const arr = side === 'bid' ? this.bids : this.asks;
    const out: DecimalLevel[] = [];
    for (let i = arr.length - 1; i >= 0 && out.length < n; i--) out.push((arr[i] as Entry).level);
    return out;
  }

  /** Keeps the best `n` levels per side. */
  truncate(n: number): void {
    if (this.bids.length > n) this.bids.splice(0, this.bids.length - n);
    if (this.asks.length > n) this.asks.splice(0, this.asks.length - n);
  }

  /** Best bid at or above best ask. */
  isCrossed(): boolean {
    const b = this.bids[this.bids.length - 1];
    const a = this.asks[this.asks.length - 1];
    if (!b || !a) return false;
    if (b.key !== a.key) return b.key > a.key;
    return compareDecimal(b.level[0], a.level[0]) >= 0;
  }

  /** Index of the price, or `-(insertion point + 1)`. Bids ascending, asks descending. */
  private find(arr: Entry[], side: 'bid' | 'ask', key: number, price: string): number {
    const dir = side === 'bid' ? 1 : -1;
    let lo = 0;
    let hi = arr.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const e = arr[mid] as Entry;
      let c = e.key === key ? 0 : e.key < key ? -1 : 1;
      if (c === 0) c = compareDecimal(e.level[0], price);
      c *= dir;
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -(lo + 1);
  }
}
