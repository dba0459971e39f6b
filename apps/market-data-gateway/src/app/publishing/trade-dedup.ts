/**
 * Per-symbol trade de-duplication across reconnects, rotations (two connections carrying the
 * same symbol for a while) and duplicated frames. Numeric ids (every venue's trade ids are
 * increasing integers) are remembered in a sliding window above the highest id seen, so a
 * reordered older trade still passes once; other ids in a bounded recent set.
 */
export class TradeDedup {
  private highest = -1;
  private readonly seen = new Set<number>();
  private readonly recent = new Set<string>();
  duplicates = 0;

  constructor(private readonly window = 100_000) {}

  /** True the first time an id is offered. */
  accept(id: string): boolean {
    const n = isDigits(id) ? Number(id) : NaN;
    if (Number.isSafeInteger(n)) return this.acceptNumber(n);
    if (this.recent.has(id)) return this.dup();
    this.recent.add(id);
    if (this.recent.size > this.window) this.recent.delete(this.recent.values().next().value as string);
    return true;
  }

  private acceptNumber(n: number): boolean {
    if (n <= this.highest - this.window || this.seen.has(n)) return this.dup();
    this.seen.add(n);
    if (n > this.highest) {
      this.highest = n;
      // Forget ids that fell out of the window (the set stays at most `window` large).
      if (this.seen.size > this.window * 1.5) {
        const floor = this.highest - this.window;
        for (const id of this.seen) if (id <= floor) this.seen.delete(id);
      }
    }
    return true;
  }

  private dup(): false {
    this.duplicates++;
    return false;
  }
}

function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 15) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
