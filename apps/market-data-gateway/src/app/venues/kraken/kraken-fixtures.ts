import { krakenChecksum } from '@cryptoscalp/market';

import { SessionHarness } from '../../replay/replay-session';
import type { CarriedSymbol, Channel, SessionContext } from '../venue-adapter';
import { KrakenAdapter } from './kraken.adapter';

/**
 * Spec helpers (imported by specs only): a Kraken session on the core's shared `SessionHarness`
 * (replay/replay-session.ts), an independent checksum book per Kraken's guide, v2 book frames.
 */
export function krakenHarness(
  natives: string[],
  options: { depth?: number; channels?: Channel[]; wsUrl?: string; wrap?: (ctx: SessionContext) => SessionContext } = {},
): SessionHarness {
  const channels = options.channels ?? ['trades', 'l1', 'l2'];
  const symbols: CarriedSymbol[] = natives.map((native) => {
    const [base, quote] = native.split('/') as [string, string];
    const symbol = `${base}-${quote}`;
    return { symbol, native, channels, instrument: { symbol, base, quote, priceDecimals: 0, sizeDecimals: 0 } };
  });
  const settings = { bookDepth: options.depth ?? 10, ...(options.wsUrl ? { wsUrl: options.wsUrl } : {}) };
  return new SessionHarness(new KrakenAdapter(), symbols, undefined, settings, options.wrap ? { wrap: options.wrap } : {});
}

type Lvl = [string, string];

/**
 * An independent client book per Kraken's "Book checksum (v2)" guide (a Map per side, sorted by
 * value, qty 0 removes, truncated to the depth): it writes the checksum a frame must carry.
 */
export class GuideBook {
  readonly bids = new Map<string, string>();
  readonly asks = new Map<string, string>();
  constructor(readonly depth: number) {}

  apply(bids: Lvl[], asks: Lvl[], reset = false): number {
    if (reset) {
      this.bids.clear();
      this.asks.clear();
    }
    for (const [side, levels] of [
      [this.bids, bids],
      [this.asks, asks],
    ] as const)
      for (const [p, q] of levels) {
        if (Number(q) === 0) side.delete(p);
        else side.set(p, q);
      }
    for (const [px] of this.side('bid').slice(this.depth)) this.bids.delete(px);
    for (const [px] of this.side('ask').slice(this.depth)) this.asks.delete(px);
    return krakenChecksum(this.side('bid').slice(0, 10), this.side('ask').slice(0, 10));
  }

  side(s: 'bid' | 'ask'): Lvl[] {
    const m = s === 'bid' ? this.bids : this.asks;
    return [...m.entries()].sort((a, b) => (s === 'bid' ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0])));
  }
}

/** A v2 book frame with prices and quantities written as JSON numbers, digits as given. */
export function v2BookFrame(type: 'snapshot' | 'update', symbol: string, bids: Lvl[], asks: Lvl[], checksum: number): string {
  const lv = (l: Lvl[]) => l.map(([p, q]) => `{"price":${p},"qty":${q}}`).join(',');
  return `{"channel":"book","type":"${type}","data":[{"symbol":"${symbol}","bids":[${lv(bids)}],"asks":[${lv(asks)}],"checksum":${checksum},"timestamp":"2026-01-02T03:04:05.123456Z"}]}`;
}
