import { compareDecimal, trimDecimal } from '@cryptoscalp/market';

import type { BookView, LevelIn } from '../../books/book.types';

/** Counted per adapter (all connections): what the periodic REST audits of the books found. */
export interface AuditStats {
  /** Audit requests sent. */
  requests: number;
  /** Every level that could be judged agreed with the venue. */
  matched: number;
  /** Some untouched level differed from the venue's (a mismatch; confirmed by a second audit before a resync). */
  mismatched: number;
  /** Every level the venue named changed locally during the audit window: nothing to judge. */
  inconclusive: number;
  /** The request failed or the answer was malformed. */
  failed: number;
  /** Mismatches that persisted (`confirmations` audits in a row): the symbol was resynced. */
  resyncs: number;
}

export const emptyAuditStats = (): AuditStats => ({ requests: 0, matched: 0, mismatched: 0, inconclusive: 0, failed: 0, resyncs: 0 });

export type AuditVerdict = { result: 'match' } | { result: 'inconclusive' } | { result: 'mismatch'; detail: string };

/**
 * One audit of a book against the venue's REST book, as a window in time. `l2update` frames carry
 * no sequence, so the REST answer cannot be placed in the stream; instead every price the stream
 * touched from the moment the request left until `graceMs` after the answer arrived is left out
 * (the venue may have changed it around the time it answered). A price the stream did not touch
 * in that window had one value locally the whole time, and the venue's answer — taken inside the
 * window and delivered to us within the grace — must show the same value: if it does not, an
 * update was lost (or a level is a ghost). This is exact whatever the market's pace, so a busy
 * market gives inconclusive audits, never false mismatches.
 */
export class AuditWindow {
  private readonly touched = new Set<string>();

  constructor(readonly product: string) {}

  /** Prices changed by an `l2update` (or the book replaced by a snapshot: `everything`). */
  touch(bids: readonly LevelIn[], asks: readonly LevelIn[]): void {
    for (const l of bids) this.touched.add(`b${trimDecimal(l[0])}`);
    for (const l of asks) this.touched.add(`a${trimDecimal(l[0])}`);
  }

  /** Compares the local book with the venue's levels (best first; `level=1` gives one a side). */
  judge(book: BookView, venue: { bids: readonly LevelIn[]; asks: readonly LevelIn[] }): AuditVerdict {
    const bid = this.side(book, 'bid', venue.bids);
    const ask = this.side(book, 'ask', venue.asks);
    if (bid.mismatch ?? ask.mismatch) return { result: 'mismatch', detail: (bid.mismatch ?? ask.mismatch) as string };
    return bid.judged + ask.judged > 0 ? { result: 'match' } : { result: 'inconclusive' };
  }

  private side(book: BookView, side: 'bid' | 'ask', venue: readonly LevelIn[]): { judged: number; mismatch?: string } {
    const tag = side === 'bid' ? 'b' : 'a';
    // Beyond the venue's worst level we know nothing; above it the two books must agree.
    const worst = venue[venue.length - 1]?.[0];
    const inRange = (px: string) =>
      worst === undefined || (side === 'bid' ? compareDecimal(px, worst) >= 0 : compareDecimal(px, worst) <= 0);
    const theirs = new Map<string, string>();
    for (const [px, sz] of venue) theirs.set(trimDecimal(px), sz);
    const want = venue.length + 64;
    const local = book.top(side, want);
    // When the local book has more levels in range than we read, judge only down to what we read.
    const lastRead = local.length === want ? local[want - 1]?.[0] : undefined;
    const covered = (px: string) =>
      lastRead === undefined || (side === 'bid' ? compareDecimal(px, lastRead) >= 0 : compareDecimal(px, lastRead) <= 0);
    const ours = new Map<string, string>();
    let judged = 0;
    for (const [px, sz] of local) {
      if (!inRange(px)) break;
      const key = trimDecimal(px);
      ours.set(key, sz);
      if (this.touched.has(tag + key)) continue;
      const venueSize = theirs.get(key);
      if (venueSize === undefined) return { judged, mismatch: `${side} ${px} (${sz}) is not in the venue's book` };
      if (compareDecimal(sz, venueSize) !== 0) return { judged, mismatch: `${side} ${px}: ours ${sz}, venue ${venueSize}` };
      judged++;
    }
    for (const [px, sz] of venue) {
      const key = trimDecimal(px);
      if (this.touched.has(tag + key) || ours.has(key) || !covered(px)) continue;
      return { judged, mismatch: `${side} ${px} (${sz}) of the venue's book is missing` };
    }
    return { judged };
  }
}
