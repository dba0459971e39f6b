/** `[price, size]` exactly as the exchange sent them. */
export type LevelTuple = [string, string];

/** Why a book is not trustworthy right now; undefined when it is in sync. */
export type BookStaleReason = 'gap' | 'resync' | 'checksum_mismatch' | 'disconnected' | 'sequence';

export type ApplyResult = 'applied' | 'old' | 'unsynced' | 'gap';

/**
 * One side of a book: levels by numeric price, plus the prices sorted best first (bids
 * descending, asks ascending). Prices compare as numbers; the strings are kept as received.
 */
class BookSide {
  private readonly levels = new Map<number, LevelTuple>();
  private readonly prices: number[] = [];

  constructor(private readonly descending: boolean) {}

  get size(): number {
    return this.prices.length;
  }

  clear(): void {
    this.levels.clear();
    this.prices.length = 0;
  }

  set(px: string, sz: string, maxLevels: number): void {
    const p = Number(px);
    const zero = Number(sz) === 0;
    const existing = this.levels.get(p);
    if (existing) {
      if (zero) {
        this.levels.delete(p);
        this.prices.splice(this.find(p), 1);
      } else {
        existing[0] = px;
        existing[1] = sz;
      }
      return;
    }
    if (zero) return;
    const at = -this.find(p) - 1;
    if (at >= maxLevels) return; // worse than every kept level of a full side
    this.levels.set(p, [px, sz]);
    this.prices.splice(at, 0, p);
    if (this.prices.length > maxLevels) this.levels.delete(this.prices.pop() as number);
  }

  /** Best `n` levels, best first (fresh tuples: the caller may keep them). */
  top(n: number): LevelTuple[] {
    const count = Math.min(n, this.prices.length);
    const out: LevelTuple[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const l = this.levels.get(this.prices[i] as number) as LevelTuple;
      out[i] = [l[0], l[1]];
    }
    return out;
  }

  best(): LevelTuple | undefined {
    return this.prices.length ? this.levels.get(this.prices[0] as number) : undefined;
  }

  /** Index of `p`, or `-(insertion point + 1)`. */
  private find(p: number): number {
    const arr = this.prices;
    let lo = 0;
    let hi = arr.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = arr[mid] as number;
      if (v === p) return mid;
      if (this.descending ? v > p : v < p) lo = mid + 1;
      else hi = mid - 1;
    }
    return -(lo + 1);
  }
}

/**
 * The L2 book of one venue and symbol, built from v1 snapshots and deltas ordered by `seq`.
 * A snapshot replaces the book; a delta applies only on a synced book with a newer `seq` (and,
 * when it carries `prevSeq`, only if that equals the book's `seq`, otherwise the book is stale);
 * `markStale` (a `gap`/`resync` status) keeps the book stale until the next snapshot.
 */
export class L2Book {
  private readonly bidSide = new BookSide(true);
  private readonly askSide = new BookSide(false);
  seq = -1;
  /** Exchange time of the last applied update (ms). */
  ts = 0;
  synced = false;
  staleReason: BookStaleReason | undefined;

  constructor(private readonly maxLevels = 5000) {}

  apply(
    snapshot: boolean,
    bids: readonly LevelTuple[],
    asks: readonly LevelTuple[],
    seq: number,
    prevSeq: number | undefined,
    ts: number,
  ): ApplyResult {
    if (snapshot) {
      this.bidSide.clear();
      this.askSide.clear();
      this.setLevels(bids, asks);
      this.seq = seq;
      this.ts = ts;
      this.synced = true;
      this.staleReason = undefined;
      return 'applied';
    }
    if (!this.synced || this.staleReason) return 'unsynced';
    if (seq <= this.seq) return 'old';
    if (prevSeq !== undefined && prevSeq !== this.seq) {
      this.staleReason = 'sequence';
      return 'gap';
    }
    this.setLevels(bids, asks);
    this.seq = seq;
    this.ts = ts;
    return 'applied';
  }

  markStale(reason: BookStaleReason): void {
    this.staleReason = reason;
  }

  get stale(): boolean {
    return this.staleReason !== undefined;
  }

  bids(n: number): LevelTuple[] {
    return this.bidSide.top(n);
  }

  asks(n: number): LevelTuple[] {
    return this.askSide.top(n);
  }

  bestBid(): LevelTuple | undefined {
    return this.bidSide.best();
  }

  bestAsk(): LevelTuple | undefined {
    return this.askSide.best();
  }

  get depth(): { bids: number; asks: number } {
    return { bids: this.bidSide.size, asks: this.askSide.size };
  }

  private setLevels(bids: readonly LevelTuple[], asks: readonly LevelTuple[]): void {
    for (let i = 0; i < bids.length; i++) {
      const l = bids[i] as LevelTuple;
      this.bidSide.set(l[0], l[1], this.maxLevels);
    }
    for (let i = 0; i < asks.length; i++) {
      const l = asks[i] as LevelTuple;
      this.askSide.set(l[0], l[1], this.maxLevels);
    }
  }
}
