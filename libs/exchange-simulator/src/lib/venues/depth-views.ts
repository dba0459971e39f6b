import { boundaries, type LevelChange, type OrderBook, topNChanges, type ViewBoundary } from '@cryptoscalp/market';

/**
 * Tracks depth-limited views (Kraken depth 10, OKX 400, Bybit 50…) of a full book: after every
 * market event it yields what a subscriber of that depth must apply to stay equal to the top-N.
 */
export class DepthViews {
  private readonly before = new Map<string, ViewBoundary>();

  /** Call when a view gets its first subscriber (right after sending the snapshot). */
  start(key: string, book: OrderBook, depth: number): void {
    if (!this.before.has(key)) this.before.set(key, boundaries(book, depth));
  }

  stop(key: string): void {
    this.before.delete(key);
  }

  has(key: string): boolean {
    return this.before.has(key);
  }

  /** The changes for this view caused by the event's full-book changes (call once per event). */
  changes(key: string, book: OrderBook, depth: number, changes: readonly LevelChange[]): LevelChange[] {
    const b = this.before.get(key) ?? boundaries(book, depth);
    const out = topNChanges(book, depth, changes, b);
    this.before.set(key, boundaries(book, depth));
    return out;
  }
}
