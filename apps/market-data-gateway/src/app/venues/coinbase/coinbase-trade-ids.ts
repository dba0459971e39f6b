/** Missing ids remembered per product; a hole larger than this is reported at once. */
const MAX_MISSING = 10_000;

interface ProductIds {
  /** Highest trade id seen (a `match`, `last_match` or the heartbeat's `last_trade_id`). */
  max: number;
  /** Ids below `max` not seen yet. */
  missing: Set<number>;
  /** Ids that were already missing at the previous heartbeat. */
  suspect: Set<number>;
}

/** Unreadable `match` frames remembered at most (the oldest are forgotten first). */
const MAX_UNREADABLE = 100;
/** An unreadable `match` explains a hole confirmed within this many heartbeat rounds (one round: a heartbeat of each product). */
const UNREADABLE_ROUNDS = 4;

/** A `match` that arrived unreadable: whatever of its product and trade id survived. */
interface UnreadableMatch {
  product?: string;
  id?: number;
  /** Heartbeats of the connection counted when it arrived. */
  at: number;
}

/** Trade ids confirmed lost: `from..to` inclusive, `count` ids in all. */
export interface LostTrades {
  from: number;
  to: number;
  count: number;
}

/**
 * Coinbase trade ids are contiguous per product (`match` `sequence` numbers are not: they count
 * every order event). This tracker notes holes in the ids of one connection's `match` messages
 * and the `heartbeat` channel's `last_trade_id` (a trade the feed made but never sent us), and
 * confirms a hole as lost only when it is still open at the second heartbeat after it appeared
 * (about 1–2 s): a frame that merely arrives late (reordered) fills its hole first, so it is
 * never reported as a gap. `last_trade_id` 0 (sent by the live feed at times) carries no information.
 * A `match` that arrived unreadable explains one such hole (`unreadable`): it reached us, so its hole
 * is no sign that the connection lost frames (its trade is backfilled over REST).
 */
export class TradeIdTracker {
  private readonly products = new Map<string, ProductIds>();
  private unreadableMatches: UnreadableMatch[] = [];
  private heartbeats = 0;
  /** Missing ids explained by a `match` that arrived unreadable (not a loss of the connection). */
  explained = 0;

  /**
   * A `match` arrived but could not be read (product and id when they survived). Its trade leaves a
   * hole that is no sign of lost frames: the first confirmed missing id it can be (same product
   * and id when known) within the next few heartbeat rounds is not reported as lost.
   */
  unreadable(product?: string, id?: number): void {
    this.unreadableMatches.push({ product, id, at: this.heartbeats });
    if (this.unreadableMatches.length > MAX_UNREADABLE) this.unreadableMatches.shift();
  }

  /** A trade id arrived; true when it is new (not at or below an id already seen and not a filled hole). */
  trade(product: string, id: number): boolean {
    const p = this.products.get(product);
    if (!p) {
      this.products.set(product, { max: id, missing: new Set(), suspect: new Set() });
      return true;
    }
    if (id > p.max) {
      this.open(p, id);
      return true;
    }
    if (p.missing.delete(id)) {
      p.suspect.delete(id);
      return true;
    }
    return false;
  }

  /** A heartbeat: returns the ids now confirmed lost (undefined when none). */
  heartbeat(product: string, lastTradeId: number): LostTrades | undefined {
    this.heartbeats++;
    if (this.unreadableMatches.length) {
      const oldest = this.heartbeats - UNREADABLE_ROUNDS * Math.max(1, this.products.size);
      this.unreadableMatches = this.unreadableMatches.filter((u) => u.at >= oldest);
    }
    if (lastTradeId <= 0) return undefined;
    const p = this.products.get(product);
    if (!p) {
      this.products.set(product, { max: lastTradeId, missing: new Set(), suspect: new Set() });
      return undefined;
    }
    if (lastTradeId > p.max) this.open(p, lastTradeId + 1, lastTradeId);
    const confirmed = p.suspect.size ? [...p.suspect] : undefined;
    if (confirmed) for (const id of confirmed) p.missing.delete(id);
    p.suspect = new Set(p.missing);
    const lost = confirmed?.filter((id) => !this.explain(product, id));
    if (!lost?.length) return undefined;
    return { from: Math.min(...lost), to: Math.max(...lost), count: lost.length };
  }

  /** Whether an unreadable `match` accounts for a confirmed missing id (that match is then used up). */
  private explain(product: string, id: number): boolean {
    const fits = (u: UnreadableMatch) => (u.product === undefined || u.product === product) && (u.id === undefined || u.id === id);
    // One that names this id first, then any that may be it.
    let i = this.unreadableMatches.findIndex((u) => u.id === id && fits(u));
    if (i < 0) i = this.unreadableMatches.findIndex((u) => u.id === undefined && fits(u));
    if (i < 0) return false;
    this.unreadableMatches.splice(i, 1);
    this.explained++;
    return true;
  }

  /** Highest id seen for a product (undefined before any). */
  maxOf(product: string): number | undefined {
    return this.products.get(product)?.max;
  }

  /** Opens the hole `max+1 .. next-1`; the new highest id is `newMax` (default `next`). */
  private open(p: ProductIds, next: number, newMax = next): void {
    if (next - p.max - 1 > MAX_MISSING) {
      // Too large to track id by id: suspect all of it now, so the next heartbeat reports it.
      for (let id = next - MAX_MISSING; id < next; id++) {
        p.suspect.add(id);
        p.missing.add(id);
      }
    } else {
      for (let id = p.max + 1; id < next; id++) p.missing.add(id);
    }
    p.max = newMax;
  }
}
