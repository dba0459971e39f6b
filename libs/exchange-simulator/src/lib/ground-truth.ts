import type { VenueName } from './venues/venue';

interface SymbolTruth {
  counts: Record<string, number>;
  firstTradeId?: number;
  lastTradeId?: number;
  firstSeq?: number;
  lastSeq?: number;
  /** Book sequence ranges deliberately skipped by gap faults. */
  skipped: [number, number][];
}

/**
 * Exactly what the simulator sent, per venue, symbol and kind of frame, with trade-id and
 * sequence ranges: a test or benchmark compares what arrived downstream against this.
 */
export class GroundTruth {
  private readonly venues = new Map<VenueName, Map<string, SymbolTruth>>();
  framesSent = 0;

  private of(venue: VenueName, symbol: string): SymbolTruth {
    let v = this.venues.get(venue);
    if (!v) this.venues.set(venue, (v = new Map()));
    let s = v.get(symbol);
    if (!s) v.set(symbol, (s = { counts: {}, skipped: [] }));
    return s;
  }

  /** Counts `n` frames of a kind sent (to all subscribers of it, one per subscriber). */
  sent(venue: VenueName, symbol: string, kind: string, n = 1): void {
    const s = this.of(venue, symbol);
    s.counts[kind] = (s.counts[kind] ?? 0) + n;
    this.framesSent += n;
  }

  trade(venue: VenueName, symbol: string, id: number): void {
    const s = this.of(venue, symbol);
    s.firstTradeId ??= id;
    s.lastTradeId = id;
  }

  seq(venue: VenueName, symbol: string, seq: number): void {
    const s = this.of(venue, symbol);
    s.firstSeq ??= seq;
    s.lastSeq = seq;
  }

  skipped(venue: VenueName, symbol: string, from: number, to: number): void {
    const s = this.of(venue, symbol);
    const last = s.skipped[s.skipped.length - 1];
    if (last && last[1] + 1 === from) last[1] = to;
    else s.skipped.push([from, to]);
  }

  report(): { framesSent: number; venues: Record<string, Record<string, SymbolTruth>> } {
    const venues: Record<string, Record<string, SymbolTruth>> = {};
    for (const [venue, symbols] of this.venues) {
      venues[venue] = Object.fromEntries(
        [...symbols].map(([k, v]) => [k, { ...v, counts: { ...v.counts }, skipped: v.skipped.map((r) => [...r] as [number, number]) }]),
      );
    }
    return { framesSent: this.framesSent, venues };
  }
}
