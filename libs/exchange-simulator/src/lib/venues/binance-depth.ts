import type { LevelChange } from '@cryptoscalp/market';

/**
 * The book changes of one symbol collected over one diff-depth interval (100 ms or 1000 ms), as
 * Binance sends them in one `depthUpdate`: the final quantity of every price changed in the
 * window, `U` the first update id of the window and `u` the last.
 */
export class DepthBatch {
  /** First update id in the window (`U`); 0 while empty. */
  first = 0;
  /** Last update id in the window (`u`). */
  last = 0;
  readonly bids = new Map<number, number>();
  readonly asks = new Map<number, number>();

  get empty(): boolean {
    return this.first === 0;
  }

  /** Adds one book update (`seq` is the book's update id after it). */
  add(seq: number, changes: readonly LevelChange[]): void {
    if (this.first === 0) this.first = seq;
    this.last = seq;
    for (const c of changes) (c.side === 'bid' ? this.bids : this.asks).set(c.px, c.sz);
  }

  /** Levels of one side, best first (bids descending, asks ascending), as `[px, sz]` in ticks and lots. */
  levels(side: 'bid' | 'ask'): [number, number][] {
    const entries = [...(side === 'bid' ? this.bids : this.asks)];
    return entries.sort((a, b) => (side === 'bid' ? b[0] - a[0] : a[0] - b[0]));
  }
}

const ZEROS = '0'.repeat(24);

/** Binance renders every price and quantity with 8 decimals (`"60214.30000000"`, `"0.00120000"`). */
export function binanceDecimal(units: number, decimals: number): string {
  const s = String(units);
  const n = s.length;
  if (units < 0 || decimals > 16 || n > 24 || !Number.isSafeInteger(units)) return slowDecimal(s, decimals);
  const tail = decimals < 8 ? ZEROS.slice(0, 8 - decimals) : '';
  if (n > decimals) return `${s.slice(0, n - decimals)}.${s.slice(n - decimals)}${tail}`;
  return `0.${ZEROS.slice(0, decimals - n)}${s}${tail}`;
}

/** The general form (negative, fractional or very large values: not produced by the markets). */
function slowDecimal(units: string, decimals: number): string {
  const s = units.padStart(decimals + 1, '0');
  const int = decimals === 0 ? s : s.slice(0, s.length - decimals);
  const frac = decimals === 0 ? '' : s.slice(s.length - decimals);
  return `${int}.${frac.padEnd(8, '0')}`;
}
