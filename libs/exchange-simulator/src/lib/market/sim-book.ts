import type { Level, LevelChange, Side } from '@cryptoscalp/market';

/** A side keeps at most this many levels in its best-first `hot` array; past it the worse half moves to `cold`. */
const HOT_MAX = 512;
/** Levels left in `hot` after a spill, and refilled up to when it runs low. */
const HOT_KEEP = 256;
/** `hot` is refilled from `cold` when it falls below this. */
const HOT_MIN = 64;

/**
 * One side of a `SimBook`: the best levels in a short best-first array (`hot`, where the market
 * acts: the touch and the top ~50 levels) and the rest, also best-first, in `cold`. An insert or
 * delete near the touch moves at most `HOT_MAX` array slots instead of the whole side (a Binance
 * market keeps 6000 levels per side: a splice at the top of a 6000-slot array was 40 % of the
 * simulator's CPU time). Trims and refills at the far end are pushes and pops on `cold`.
 */
class BookSide {
  hot: Level[] = [];
  cold: Level[] = [];
  /** hot + cold, built on demand and dropped at the next insert or delete (sizes change in place). */
  private full: Level[] | undefined;

  constructor(private readonly desc: boolean) {}

  get length(): number {
    return this.hot.length + this.cold.length;
  }

  at(i: number): Level | undefined {
    const hot = this.hot;
    return i < hot.length ? hot[i] : this.cold[i - hot.length];
  }

  all(): Level[] {
    if (this.cold.length === 0) return this.hot;
    return (this.full ??= this.hot.concat(this.cold));
  }

  /** True when `px` is strictly worse than every level in `hot` (and `cold` holds levels). */
  private inCold(px: number): boolean {
    const hot = this.hot;
    if (this.cold.length === 0 || hot.length === 0) return false;
    const last = (hot[hot.length - 1] as Level).px;
    return this.desc ? px < last : px > last;
  }

  /** Index of `px` in `arr`, or the insertion point as `-(index + 1)`. */
  private search(arr: Level[], px: number): number {
    let lo = 0;
    let hi = arr.length - 1;
    const desc = this.desc;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = (arr[mid] as Level).px;
      if (v === px) return mid;
      if (desc ? v > px : v < px) lo = mid + 1;
      else hi = mid - 1;
    }
    return -(lo + 1);
  }

  find(px: number): number {
    if (!this.inCold(px)) return this.search(this.hot, px);
    const i = this.search(this.cold, px);
    const offset = this.hot.length;
    return i >= 0 ? offset + i : i - offset;
  }

  /** Sets a level (sz 0 deletes); false for a no-op. */
  set(px: number, sz: number): boolean {
    const arr = this.inCold(px) ? this.cold : this.hot;
    const i = this.search(arr, px);
    if (i >= 0) {
      const level = arr[i] as Level;
      if (sz !== 0) {
        if (level.sz === sz) return false;
        level.sz = sz;
        return true;
      }
      arr.splice(i, 1);
    } else {
      if (sz === 0) return false;
      arr.splice(-i - 1, 0, { px, sz });
    }
    this.full = undefined;
    this.balance();
    return true;
  }

  private balance(): void {
    const hot = this.hot;
    if (hot.length > HOT_MAX) {
      this.cold = this.cold.length ? hot.splice(HOT_KEEP).concat(this.cold) : hot.splice(HOT_KEEP);
    } else if (hot.length < HOT_MIN && this.cold.length > 0) {
      for (const l of this.cold.splice(0, HOT_KEEP - hot.length)) hot.push(l);
    }
  }
}

/**
 * The simulator's order book: the same public shape and results as `OrderBook` from
 * `@cryptoscalp/market` (best-first `levels`, `find` indexes, `top` copies, `set` returning the
 * change made), stored so that changes near the touch stay cheap on deep books (see `BookSide`).
 * `levels()`/`bids`/`asks` of a side deeper than 512 levels are a copy built on demand: read them,
 * do not keep them across `set`.
 */
export class SimBook {
  private readonly bidSide = new BookSide(true);
  private readonly askSide = new BookSide(false);

  private side(side: Side): BookSide {
    return side === 'bid' ? this.bidSide : this.askSide;
  }

  get bids(): Level[] {
    return this.bidSide.all();
  }

  get asks(): Level[] {
    return this.askSide.all();
  }

  /** Every level of a side, best first. */
  levels(side: Side): Level[] {
    return this.side(side).all();
  }

  /** Levels on a side. */
  count(side: Side): number {
    return this.side(side).length;
  }

  /** The `i`-th best level of a side (0 = best). */
  at(side: Side, i: number): Level | undefined {
    return this.side(side).at(i);
  }

  /** Index of `px` in the side, or the insertion point as `-(index + 1)`. */
  find(side: Side, px: number): number {
    return this.side(side).find(px);
  }

  /** Sets a level (sz 0 deletes); returns the change actually made, or undefined for a no-op. */
  set(side: Side, px: number, sz: number): LevelChange | undefined {
    return this.side(side).set(px, sz) ? { side, px, sz } : undefined;
  }

  best(side: Side): Level | undefined {
    return this.side(side).hot[0];
  }

  /** Best `n` levels of a side (copies). */
  top(side: Side, n: number): Level[] {
    const s = this.side(side);
    const from = n <= s.hot.length ? s.hot : s.all();
    const out: Level[] = [];
    for (let i = 0; i < n && i < from.length; i++) {
      const l = from[i] as Level;
      out.push({ px: l.px, sz: l.sz });
    }
    return out;
  }

  isCrossed(): boolean {
    const b = this.bidSide.hot[0];
    const a = this.askSide.hot[0];
    return b !== undefined && a !== undefined && b.px >= a.px;
  }
}
