/** One price level: price in ticks, size in lots. */
export interface Level {
  px: number;
  sz: number;
}

export type Side = 'bid' | 'ask';

/** A level change: `sz === 0` deletes the level. */
export interface LevelChange {
  side: Side;
  px: number;
  sz: number;
}

/**
 * A full-depth order book kept as two sorted arrays (bids best-first descending, asks
 * best-first ascending). Integer ticks and lots: no float drift, exact checksums.
 */
export class OrderBook {
  readonly bids: Level[] = [];
  readonly asks: Level[] = [];

  levels(side: Side): Level[] {
    return side === 'bid' ? this.bids : this.asks;
  }

  /** Index of `px` in the side, or the insertion point as `-(index + 1)`. */
  find(side: Side, px: number): number {
    const arr = this.levels(side);
    let lo = 0;
    let hi = arr.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = (arr[mid] as Level).px;
      if (v === px) return mid;
      const before = side === 'bid' ? v > px : v < px;
      if (before) lo = mid + 1;
      else hi = mid - 1;
    }
    return -(lo + 1);
  }

  /** Sets a level (sz 0 deletes); returns the change actually made, or undefined for a no-op. */
  set(side: Side, px: number, sz: number): LevelChange | undefined {
    const arr = this.levels(side);
    const i = this.find(side, px);
    if (i >= 0) {
      if (sz === 0) arr.splice(i, 1);
      else if ((arr[i] as Level).sz === sz) return undefined;
      else (arr[i] as Level).sz = sz;
    } else {
      if (sz === 0) return undefined;
      arr.splice(-i - 1, 0, { px, sz });
    }
    return { side, px, sz };
  }

  best(side: Side): Level | undefined {
    return this.levels(side)[0];
  }

  /** Best `n` levels of a side (copies). */
  top(side: Side, n: number): Level[] {
    return this.levels(side)
      .slice(0, n)
      .map((l) => ({ ...l }));
  }

  isCrossed(): boolean {
    const b = this.bids[0];
    const a = this.asks[0];
    return b !== undefined && a !== undefined && b.px >= a.px;
  }
}

export interface ViewBoundary {
  /** Price of the N-th level before the change (undefined when the side had fewer than N levels). */
  bid: number | undefined;
  ask: number | undefined;
}

/** The top-N boundary of each side, taken before applying changes. */
export function boundaries(book: OrderBook, depth: number): ViewBoundary {
  return {
    bid: book.bids.length >= depth ? (book.bids[depth - 1] as Level).px : undefined,
    ask: book.asks.length >= depth ? (book.asks[depth - 1] as Level).px : undefined,
  };
}

/**
 * What a depth-limited subscriber (Kraken depth 10, OKX 400, Bybit 50…) must be told after a
 * batch of full-book changes so that its copy equals the new true top-N: changed levels inside
 * the old or new view (final sizes; 0 for levels that left it), untouched levels pulled into the
 * view, and untouched levels pushed out of it (as deletions). O(changes + moved levels).
 */
export function topNChanges(book: OrderBook, depth: number, changes: readonly LevelChange[], before: ViewBoundary): LevelChange[] {
  const out: LevelChange[] = [];
  for (const side of ['bid', 'ask'] as const) {
    const levels = book.levels(side);
    const oldBoundary = before[side];
    const atLeastAsGood = (a: number, b: number) => (side === 'bid' ? a >= b : a <= b);
    // With fewer than N levels before, every level that existed was in view.
    const inOld = (px: number) => oldBoundary === undefined || atLeastAsGood(px, oldBoundary);
    const touched = new Set<number>();
    for (const c of changes) {
      if (c.side !== side || touched.has(c.px)) continue;
      touched.add(c.px);
      const idx = book.find(side, c.px);
      const inNew = idx >= 0 && idx < depth;
      if (inNew) out.push({ side, px: c.px, sz: (levels[idx] as Level).sz });
      else if (inOld(c.px)) out.push({ side, px: c.px, sz: 0 });
    }
    const top = Math.min(depth, levels.length);
    for (let i = top - 1; i >= 0; i--) {
      const l = levels[i] as Level;
      if (inOld(l.px)) break;
      if (!touched.has(l.px)) out.push({ side, px: l.px, sz: l.sz });
    }
    for (let i = depth; i < levels.length; i++) {
      const l = levels[i] as Level;
      if (!inOld(l.px)) break;
      if (!touched.has(l.px)) out.push({ side, px: l.px, sz: 0 });
    }
  }
  return out;
}
