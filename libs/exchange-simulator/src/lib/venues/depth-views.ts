import { boundaries, type LevelChange, type OrderBook, topNChanges, type ViewBoundary } from '@cryptoscalp/market';

/**
 * Tracks depth-limited views (Kraken depth 10, OKX 400, Bybit 50…) of a full book: the full-book
 * changes since the last push accumulate per view, and `take` yields what a subscriber of that
 * depth must apply to stay equal to the new top-N (net of everything since the previous push).
 */
export class DepthViews {
  private readonly before = new Map<string, ViewBoundary>();
  private readonly pending = new Map<string, LevelChange[]>();

  /** Call when a view gets its first subscriber (right after sending the snapshot). */
  start(key: string, book: OrderBook, depth: number): void {
    if (!this.before.has(key)) this.before.set(key, boundaries(book, depth));
  }

  stop(key: string): void {
    this.before.delete(key);
    this.pending.delete(key);
  }

  has(key: string): boolean {
    return this.before.has(key);
  }

  /** Records full-book changes for the next push of this view. */
  add(key: string, changes: readonly LevelChange[]): void {
    let list = this.pending.get(key);
    if (!list) this.pending.set(key, (list = []));
    for (const c of changes) list.push(c);
  }

  hasPending(key: string): boolean {
    return (this.pending.get(key)?.length ?? 0) > 0;
  }

  /**
   * The net changes for this view since the previous `take`. With `announceDropped: false`
   * (Kraken v2), levels that merely fell out of the view are not announced with size 0: the
   * client truncates its book to the depth; real deletions and levels pulled into view are sent.
   */
  take(key: string, book: OrderBook, depth: number, announceDropped = true): LevelChange[] {
    const changes = this.pending.get(key) ?? [];
    this.pending.delete(key);
    const b = this.before.get(key) ?? boundaries(book, depth);
    this.before.set(key, boundaries(book, depth));
    if (changes.length === 0) return [];
    const out = topNChanges(book, depth, changes, b);
    return announceDropped ? out : out.filter((c) => c.sz > 0 || book.find(c.side, c.px) < 0);
  }

  /** Per-event convenience: add the event's changes and take them at once. */
  changes(key: string, book: OrderBook, depth: number, changes: readonly LevelChange[], announceDropped = true): LevelChange[] {
    this.add(key, changes);
    return this.take(key, book, depth, announceDropped);
  }
}

/**
 * Per-key push scheduling on a venue's cadence: `schedule(key, ms, flush)` runs `flush` once,
 * `ms` after the first call, whatever happens in between (0 = at the end of this event-loop
 * turn, so the events generated together leave together). `flushNow` runs a pending push at
 * once (before a snapshot is sent to a new subscriber, so that it lines up with the updates).
 */
export class PushScheduler {
  private readonly timers = new Map<string, { handle: NodeJS.Timeout | NodeJS.Immediate; flush: () => void }>();

  schedule(key: string, ms: number, flush: () => void): void {
    if (this.timers.has(key)) return;
    const run = () => {
      this.timers.delete(key);
      flush();
    };
    this.timers.set(key, { handle: ms > 0 ? setTimeout(run, ms) : setImmediate(run), flush });
  }

  flushNow(key: string): void {
    const t = this.timers.get(key);
    if (!t) return;
    this.cancel(key);
    t.flush();
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (!t) return;
    clearTimeout(t.handle as NodeJS.Timeout);
    clearImmediate(t.handle as NodeJS.Immediate);
    this.timers.delete(key);
  }

  clear(): void {
    for (const key of [...this.timers.keys()]) this.cancel(key);
  }
}
