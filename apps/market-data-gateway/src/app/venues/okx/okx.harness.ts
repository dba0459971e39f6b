import type { FeedStatus, L1, L2, Trade } from '@cryptoscalp/messaging';

import { ConnectionContext } from '../../feeds/connection-context';
import { SymbolFeed } from '../../feeds/symbol-feed';
import { NOOP_METRICS } from '../../feeds/venue-metrics';
import type { MarketSink } from '../../publishing/market-sink';
import type { RestClient, RestRequest } from '../../rest/rest.types';
import type { CarriedSymbol, Channel, VenueAdapter, VenueSession, VenueSettings } from '../venue-adapter';

/**
 * Unit-test harness (spec files only): one adapter session on the core's real `ConnectionContext`,
 * `BookSync` and `SymbolFeed`, with what it publishes, sends and asks for recorded.
 */
export class SessionHarness implements MarketSink {
  readonly trades: Trade[] = [];
  readonly l1s: L1[] = [];
  readonly l2s: L2[] = [];
  readonly statuses: FeedStatus[] = [];
  readonly sent: string[] = [];
  readonly rotations: string[] = [];
  readonly warnings: string[] = [];
  readonly restRequests: RestRequest[] = [];
  readonly ctx: ConnectionContext;
  readonly session: VenueSession;
  readonly feeds = new Map<string, SymbolFeed>();

  constructor(
    adapter: VenueAdapter,
    symbols: readonly CarriedSymbol[],
    rest: (request: RestRequest) => unknown = () => {
      throw new Error('no REST in this test');
    },
    settings: Partial<VenueSettings> = {},
  ) {
    for (const s of symbols) this.feeds.set(s.symbol, new SymbolFeed(adapter.venue, s, this, NOOP_METRICS));
    const client: RestClient = {
      getJson: <T>(request: RestRequest) => {
        this.restRequests.push(request);
        try {
          return Promise.resolve(rest(request) as T);
        } catch (err) {
          return Promise.reject(err as Error);
        }
      },
    };
    this.ctx = new ConnectionContext(adapter.venue, { ...adapter.defaults, restUrl: 'http://rest.test', ...settings }, client, this.feeds, symbols, {
      send: (t) => this.sent.push(t),
      rotate: (r) => this.rotations.push(r),
      warn: (m) => this.warnings.push(m),
      metrics: NOOP_METRICS,
      bookOptions: { backoff: { initialDelayMs: 1, maxDelayMs: 1 } },
    });
    this.session = adapter.openSession(this.ctx);
    this.session.onOpen?.();
  }

  /** Feeds frames (objects are serialized, strings sent as they are). */
  frame(...frames: (string | object)[]): void {
    for (const f of frames) this.session.onFrame(typeof f === 'string' ? f : JSON.stringify(f), Date.now() * 1000);
  }

  book(symbol: string) {
    return this.ctx.books.get(symbol);
  }

  statesOf(symbol: string): string[] {
    return this.statuses.filter((s) => s.symbol === symbol).map((s) => s.state);
  }

  close(): void {
    this.ctx.close();
    this.session.onClose?.();
  }

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
}

/** A carried symbol for tests (instrument precision is not used by the books). */
export function carried(symbol: string, native: string, channels: readonly Channel[] = ['trades', 'l1', 'l2']): CarriedSymbol {
  const [base = '', quote = ''] = symbol.split('-');
  return { symbol, native, channels, instrument: { symbol, base, quote, priceDecimals: 8, sizeDecimals: 8 } };
}

/** Lets promise callbacks and timers of 0–few ms run. */
export const settle = (ms = 5) => new Promise<void>((r) => setTimeout(r, ms));
