import type { FeedStatus, L1, L2, Trade } from '@cryptoscalp/messaging';

import { ConnectionContext } from '../feeds/connection-context';
import { SymbolFeed } from '../feeds/symbol-feed';
import { NOOP_METRICS } from '../feeds/venue-metrics';
import type { MarketSink } from '../publishing/market-sink';
import type { RestClient, RestRequest } from '../rest/rest.types';
import type { CarriedSymbol, Channel, SessionContext, VenueAdapter, VenueSession, VenueSettings } from '../venues/venue-adapter';

/** What the gateway would publish, kept in order (the replay command and the adapters' specs). */
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
  /** The `md.status` states published for one symbol, in order. */
  statesOf(symbol: string): string[] {
    return this.statuses.filter((s) => s.symbol === symbol).map((s) => s.state);
  }
}

export interface SessionHarnessOptions {
  /** Answers REST requests (throw to fail one); default: every request fails. */
  rest?: (request: RestRequest) => unknown;
  /** Overrides of the adapter's default settings (`wsUrl` picks Kraken v1/v2, `bookDepth`…). */
  settings?: Partial<VenueSettings>;
  /** Wraps the context the session gets (a test that changes what the adapter asks of the core). */
  wrap?: (ctx: SessionContext) => SessionContext;
}

/**
 * One adapter session on the core's real `ConnectionContext`, `BookSync` and `SymbolFeed` — the
 * objects the service and the replay command run — with what it publishes, sends (paced sends
 * included), asks of REST, rotates and warns recorded. For adapter specs:
 * `new SessionHarness(new OkxAdapter(), [carried('BTC-USDT', 'BTC-USDT')])`, then `frame(...)`.
 */
export class SessionHarness extends RecordingSink {
  /** Every frame the session sent, paced or not, in order. */
  readonly sent: string[] = [];
  /** The frames it sent through `ctx.sendPaced` (the connection's pacer). */
  readonly paced: string[] = [];
  readonly rotations: string[] = [];
  readonly warnings: string[] = [];
  readonly restRequests: RestRequest[] = [];
  readonly ctx: ConnectionContext;
  readonly session: VenueSession;
  readonly feeds = new Map<string, SymbolFeed>();

  constructor(
    adapter: VenueAdapter,
    symbols: readonly CarriedSymbol[],
    rest: SessionHarnessOptions['rest'] = () => {
      throw new Error('no REST in this test');
    },
    settings: Partial<VenueSettings> = {},
    options: Omit<SessionHarnessOptions, 'rest' | 'settings'> = {},
  ) {
    super();
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
    this.ctx = new ConnectionContext(
      adapter.venue,
      { ...adapter.defaults, restUrl: 'http://rest.test', ...settings },
      client,
      this.feeds,
      symbols,
      {
        send: (t) => this.sent.push(t),
        sendPaced: (ts) => {
          this.sent.push(...ts);
          this.paced.push(...ts);
        },
        rotate: (r) => this.rotations.push(r),
        warn: (m) => this.warnings.push(m),
        metrics: NOOP_METRICS,
        bookOptions: { backoff: { initialDelayMs: 1, maxDelayMs: 1 } },
      },
    );
    this.session = adapter.openSession(options.wrap ? options.wrap(this.ctx) : this.ctx);
    this.session.onOpen?.();
  }

  /** Feeds frames (objects are serialized, strings sent as they are), each with a later receive time. */
  frame(...frames: (string | object)[]): void {
    for (const f of frames) this.session.onFrame(typeof f === 'string' ? f : JSON.stringify(f), Date.now() * 1000);
  }

  /** The book of a normalized symbol on this connection. */
  book(symbol: string) {
    return this.ctx.books.get(symbol);
  }

  feed(symbol: string): SymbolFeed {
    const f = this.feeds.get(symbol);
    if (!f) throw new Error(`${symbol} is not carried in this harness`);
    return f;
  }

  close(): void {
    this.ctx.close();
    this.session.onClose?.();
  }
}

/** A carried symbol for tests (instrument precision is not used by the books). */
export function carried(symbol: string, native: string, channels: readonly Channel[] = ['trades', 'l1', 'l2']): CarriedSymbol {
  const [base = '', quote = ''] = symbol.split('-');
  return { symbol, native, channels, instrument: { symbol, base, quote, priceDecimals: 8, sizeDecimals: 8 } };
}

/** Lets promise callbacks and timers of 0–few ms run. */
export const settle = (ms = 5) => new Promise<void>((r) => setTimeout(r, ms));
