/** Bybit v5 specifics of the simulator (`venueOptions.bybit`); every field has the venue's default. */
export interface BybitOptions {
  /**
   * `orderbook.1`: a snapshot is pushed again, with the same `u`, when the book did not change for
   * this long (Bybit docs: "if 3 seconds have elapsed without a change in the orderbook").
   */
  level1RepeatMs: number;
  /**
   * Deeper books (50, 200, 1000): send a fresh snapshot (continuing `u`) instead of the next delta
   * this often (ms; 0 = only after a `book_reset` fault). Bybit docs: "If you receive a new snapshot
   * message, you will have to reset your local orderbook".
   */
  resnapshotEveryMs: number;
}

export const BYBIT_DEFAULTS: BybitOptions = { level1RepeatMs: 3000, resnapshotEveryMs: 0 };

/** Spot accepts at most 10 topics per subscribe request (Bybit docs: WebSocket connect, "args size >10"). */
export const SPOT_MAX_ARGS = 10;

/**
 * Push cadence of the orderbook topics per depth in the realistic profile (Bybit docs: orderbook —
 * spot level 1 10 ms, 50 20 ms, 200 and 1000 200 ms; linear 200 at 100 ms).
 */
export function orderbookCadenceMs(category: 'spot' | 'linear', depth: number): number {
  if (depth === 1) return 10;
  if (depth === 50) return 20;
  return category === 'linear' && depth === 200 ? 100 : 200;
}
