import { krakenChecksum } from '@cryptoscalp/market';
import type { FeedStatus, L1, L2, Trade } from '@cryptoscalp/messaging';

import { ConnectionContext } from '../../feeds/connection-context';
import { SymbolFeed } from '../../feeds/symbol-feed';
import { NOOP_METRICS } from '../../feeds/venue-metrics';
import type { MarketSink } from '../../publishing/market-sink';
import type { RestClient } from '../../rest/rest.types';
import type { CarriedSymbol, Channel, SessionContext, VenueSession } from '../venue-adapter';
import { KrakenAdapter } from './kraken.adapter';

/** Spec helper (imported by specs only): one Kraken session on the core's real ConnectionContext. */
export class RecordingSink implements MarketSink {
  readonly trades: Trade[] = [];
  readonly l1s: L1[] = [];
  readonly l2s: L2[] = [];
  readonly statuses: FeedStatus[] = [];
  trade(m: Trade): void {
    this.trades.push(m);
  }
  l1(m: L1): void {
    this.l1s.push(m);
  }
  l2(m: L2): void {
    this.l2s.push(m);
  }
  status(m: FeedStatus): void {
    this.statuses.push(m);
  }
  statesOf(symbol: string): string[] {
    return this.statuses.filter((s) => s.symbol === symbol).map((s) => s.state);
  }
}

const NO_REST: RestClient = { getJson: () => Promise.reject(new Error('no REST in this test')) };

export interface Harness {
  ctx: ConnectionContext;
  session: VenueSession;
  sink: RecordingSink;
  sent: string[];
  rotations: string[];
  feed(symbol: string): SymbolFeed;
  frame(text: string): void;
}

export function krakenHarness(
  natives: string[],
  options: { depth?: number; channels?: Channel[]; wsUrl?: string; wrap?: (ctx: SessionContext) => SessionContext } = {},
): Harness {
  const channels = options.channels ?? ['trades', 'l1', 'l2'];
  const symbols: CarriedSymbol[] = natives.map((native) => {
    const [base, quote] = native.split('/') as [string, string];
    const symbol = `${base}-${quote}`;
    return { symbol, native, channels, instrument: { symbol, base, quote, priceDecimals: 0, sizeDecimals: 0 } };
  });
  const sink = new RecordingSink();
  const feeds = new Map(symbols.map((s) => [s.symbol, new SymbolFeed('kraken', s, sink, NOOP_METRICS)]));
  const sent: string[] = [];
  const rotations: string[] = [];
  const settings = { wsUrl: options.wsUrl ?? 'wss://ws.kraken.com/v2', restUrl: 'https://api.kraken.com', bookDepth: options.depth ?? 10 };
  const ctx = new ConnectionContext('kraken', settings, NO_REST, feeds, symbols, {
    send: (t) => sent.push(t),
    rotate: (r) => rotations.push(r),
    warn: () => undefined,
    metrics: NOOP_METRICS,
    bookOptions: { backoff: { initialDelayMs: 1, maxDelayMs: 1 } },
  });
  const session = new KrakenAdapter().openSession(options.wrap ? options.wrap(ctx) : ctx);
  let t = 1_700_000_000_000_000;
  return {
    ctx,
    session,
    sink,
    sent,
    rotations,
    feed: (symbol) => feeds.get(symbol) as SymbolFeed,
    frame: (text) => session.onFrame(text, (t += 1000)),
  };
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
