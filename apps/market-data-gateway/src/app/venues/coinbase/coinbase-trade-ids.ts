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
 */
export class TradeIdTracker {
  private readonly products = new Map<string, ProductIds>();

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
    if (lastTradeId <= 0) return undefined;
    const p = this.products.get(product);
    if (!p) {
      this.products.set(product, { max: lastTradeId, missing: new Set(), suspect: new Set() });
      return undefined;
    }
    if (lastTradeId > p.max) this.open(p, lastTradeId + 1, lastTradeId);
    const lost = p.suspect.size ? [...p.suspect] : undefined;
    if (lost) for (const id of lost) p.missing.delete(id);
    p.suspect = new Set(p.missing);
    if (!lost) return undefined;
    return { from: Math.min(...lost), to: Math.max(...lost), count: lost.length };
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
