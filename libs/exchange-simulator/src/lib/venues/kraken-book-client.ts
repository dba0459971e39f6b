import { krakenChecksum } from '@cryptoscalp/market';

type Side = Map<string, string>;

function sorted(side: Side, desc: boolean, n = Infinity): [string, string][] {
  return [...side.entries()].sort((a, b) => (desc ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0]))).slice(0, n);
}

/**
 * A Kraken WebSocket v2 `book` client for tests, following the "Book checksum (v2)" guide
 * (docs.kraken.com/exchange/guides/websockets/book-checksum-v2): apply every level of a message
 * (`qty` 0 removes the level), truncate the book to the subscribed depth ("you will not receive
 * qty 0 for levels that fall out of scope"), then compare the CRC32 of the top 10 with `checksum`.
 * `truncating: false` is the client that skips the truncation step.
 */
export class KrakenBookClient {
  readonly bids: Side = new Map();
  readonly asks: Side = new Map();
  verified = 0;
  mismatches = 0;

  constructor(
    readonly depth: number,
    readonly truncating = true,
  ) {}

  /** Applies one raw frame (other channels are ignored). Returns false on a checksum mismatch. */
  apply(text: string): boolean {
    // Keep the exact digits: read the JSON numbers as strings.
    const m = JSON.parse(text.replace(/"(price|qty)":([\d.]+)/g, '"$1":"$2"'));
    if (m.channel !== 'book') return true;
    const d = m.data[0];
    if (m.type === 'snapshot') {
      this.bids.clear();
      this.asks.clear();
    }
    for (const [side, levels] of [
      [this.bids, d.bids],
      [this.asks, d.asks],
    ] as [Side, { price: string; qty: string }[]][]) {
      for (const l of levels) {
        if (Number(l.qty) === 0) side.delete(l.price);
        else side.set(l.price, l.qty);
      }
    }
    if (this.truncating) {
      for (const [px] of sorted(this.bids, true).slice(this.depth)) this.bids.delete(px);
      for (const [px] of sorted(this.asks, false).slice(this.depth)) this.asks.delete(px);
    }
    const ok = krakenChecksum(sorted(this.bids, true, 10), sorted(this.asks, false, 10)) === d.checksum;
    if (ok) this.verified++;
    else this.mismatches++;
    return ok;
  }

  top(): { bids: [string, string][]; asks: [string, string][] } {
    return { bids: sorted(this.bids, true, this.depth), asks: sorted(this.asks, false, this.depth) };
  }
}
