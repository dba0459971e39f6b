import type { InstrumentSpec } from '@cryptoscalp/market';
import type { FeedState, Venue } from '@cryptoscalp/messaging';

import type { BookHandle, BookOptions, FailureKind } from '../books/book.types';
import type { RestClient } from '../rest/rest.types';

/**
 * The contract between the gateway core and one exchange. A venue is one folder
 * (`venues/<venue>/`) exporting one `VenueAdapter` and one line in `venue-registry.ts`.
 *
 * The core does everything that is the same for every venue: configuration, sharding symbols
 * over connections within `limits`, the WebSocket lifecycle (reconnect with capped jittered
 * backoff, circuit breaker per endpoint, stale watchdog, planned and announced make-before-break
 * rotation), the per-symbol book state machine (`BookHandle`), the weight-aware REST limiter,
 * publishing on NATS (JetStream for trades, de-duplicated by trade id), metrics, health,
 * `GET /v1/feeds`, `GET /v1/book` and the replay command.
 *
 * The adapter does what only the venue knows: its instrument metadata, its URLs and subscribe
 * messages, and the hot path — parsing a frame and handing trades, top of book and book
 * updates to the core, in plain TypeScript (no Nest, no DI, no await per frame).
 */
export interface VenueAdapter {
  readonly venue: Venue;
  /** The venue's real endpoints (overridden per deployment by `<VENUE>_WS_URL` / `<VENUE>_REST_URL`). */
  readonly defaults: VenueSettings;
  readonly limits: VenueLimits;

  /**
   * Resolves normalized `BASE-QUOTE` symbols against the venue's instrument metadata (REST), never
   * a hand-written table. Symbols the venue does not list are returned in `unknown`.
   */
  resolveSymbols(rest: RestClient, settings: VenueSettings, wanted: readonly string[], meta?: MetadataSocket): Promise<ResolvedSymbols>;

  /**
   * Optional: the connection group of a symbol. Symbols of different groups never share a
   * connection (Bybit `spot` vs `linear`: different endpoints); the core shards each group apart
   * and hands `connectionPlan` symbols of one group only. Default: one group.
   */
  connectionGroup?(symbol: CarriedSymbol): string;

  /** How many of `limits.maxStreamsPerConnection` one symbol with these channels uses. */
  streamsFor(symbol: CarriedSymbol): number;

  /** URL and opening messages of one connection carrying `symbols` (the core paces the messages). */
  connectionPlan(settings: VenueSettings, symbols: readonly CarriedSymbol[]): ConnectionPlan;

  /** Called once per connection (before it opens): the per-connection protocol handler. */
  openSession(ctx: SessionContext): VenueSession;

  /**
   * Replay: the symbols (native names) and channels a recorded connection carried, read from its
   * URL and the frames the client sent (captures hold no instrument metadata).
   */
  recordedSymbols(url: string, sent: readonly string[]): RecordedSymbol[];

  /**
   * Optional: the venue's alternative WebSocket endpoints (Binance `:443`, `data-stream.binance.vision`),
   * tried in order when the configured one fails (`<VENUE>_WS_FALLBACK_URLS` overrides them).
   */
  readonly fallbackWsUrls?: readonly string[];

  /** Optional: called once with the final settings (credentials…) before `resolveSymbols`. */
  configure?(settings: VenueSettings): void;

  /**
   * Optional: the adapter's own counters over all its connections (audits, trade-id gaps…), as
   * flat numbers. Shown in `GET /v1/feeds` (`adapter`) and as `cs_gateway_adapter_counter{venue,name}`.
   */
  counters?(): Record<string, number>;
}

/**
 * A short-lived WebSocket for metadata read at start-up (Kraken's v2 `instrument` channel), opened
 * by the core through the venue's connection-attempt limiter and the endpoint's circuit breaker.
 */
export interface MetadataSocket {
  /**
   * Opens `url`, sends `send` (paced), hands every text frame to `read` until it returns a value
   * (resolved) or throws (rejected), then closes. Rejects after `timeoutMs` (default 10 s).
   */
  request<T>(url: string, send: readonly string[], read: (frame: string) => T | undefined, timeoutMs?: number): Promise<T>;
}

export interface RecordedSymbol {
  native: string;
  channels: Channel[];
}

export const CHANNELS = ['trades', 'l1', 'l2'] as const;
export type Channel = (typeof CHANNELS)[number];

/** API credentials from the validated config (`COINBASE_API_KEY`…); never logged nor captured. */
export interface VenueCredentials {
  key: string;
  secret: string;
  passphrase: string;
}

/** Per-venue settings (config); URLs default to the venue's real endpoints. */
export interface VenueSettings {
  wsUrl: string;
  restUrl: string;
  /** Levels requested in book snapshots (Binance `limit`), or the subscribed depth. */
  bookDepth: number;
  /** Alternative WebSocket endpoints, tried in order after `wsUrl` (each with its own circuit breaker). */
  wsFallbackUrls?: readonly string[];
  /** Credentials, when the venue's are configured. */
  credentials?: VenueCredentials;
  /** Trade backfill over REST for venues with contiguous trade ids (Coinbase): `maxTrades` per hole (0: off), after `delayMs`. */
  tradeBackfill?: { maxTrades: number; delayMs: number };
}

/** The venue's connection rules; the core shards, paces and rotates by them. */
export interface VenueLimits {
  /** Streams (channel × symbol subscriptions) per connection (Binance 1024). */
  maxStreamsPerConnection: number;
  /** Messages the client may send per second and connection (Binance 5; pongs count too). */
  maxOutgoingPerSecond: number;
  /** Connection attempts per IP (Binance 300 per 5 minutes). */
  connectAttempts: { max: number; windowMs: number };
  /** The venue closes connections after this long (Binance 24 h): rotate before it. */
  maxConnectionLifetimeMs?: number;
  /** Client-side keepalive period, for venues that need one (`session.keepalive()` is called). */
  keepaliveMs?: number;
  /** REST request weight per minute the gateway allows itself (a share of the venue's limit; default 1000). */
  restWeightPerMinute?: number;
  /** REST requests per second, in addition to the weight per minute (Coinbase public: 10). */
  restRequestsPerSecond?: number;
}

/** A symbol the gateway carries on a venue, resolved from the venue's metadata. */
export interface CarriedSymbol {
  /** Normalized `BASE-QUOTE`. */
  symbol: string;
  /** The venue's own name (`BTCUSDT`, `XBT/USD`, `BTC-USDT`). */
  native: string;
  channels: readonly Channel[];
  instrument: InstrumentSpec;
}

export interface ResolvedSymbols {
  /** Without `channels` (the core fills them from config). */
  symbols: Omit<CarriedSymbol, 'channels'>[];
  unknown: string[];
}

export interface ConnectionPlan {
  url: string;
  /** Text frames sent after the connection opens, paced by `limits.maxOutgoingPerSecond`. */
  subscribe: string[];
}

/** The per-connection protocol handler: the hot path. */
export interface VenueSession {
  /**
   * One text frame from the exchange. Must never throw: malformed input goes to
   * `ctx.parseError(frame, reason)`, frames of channels not carried to `ctx.skipped()`.
   */
  onFrame(text: string, recvUs: number): void;
  /** The connection is open (subscriptions are being sent by the core). */
  onOpen?(): void;
  /** The connection closed; the core marks its books unsynced. */
  onClose?(): void;
  /** Periodic client keepalive (`limits.keepaliveMs`). */
  keepalive?(): void;
  /** Optional per-connection counters, summed per venue into `GET /v1/feeds` (`adapter`) and `cs_gateway_adapter_counter`. */
  sessionCounters?(): Record<string, number>;
}

/** A trade as the venue sent it (decimal strings untouched). */
export interface TradeIn {
  id: string;
  price: string;
  size: string;
  side: 'buy' | 'sell';
  /** Exchange event time, epoch ms. */
  ts: number;
  recvTs: number;
}

export interface TopOfBookIn {
  bidPx: string;
  bidSz: string;
  askPx: string;
  askSz: string;
  seq?: number;
  ts: number;
  recvTs: number;
}

/** What the core gives a session. Everything here is cheap enough to call per frame. */
export interface SessionContext {
  readonly venue: Venue;
  readonly settings: VenueSettings;
  /** The symbols on this connection, by the venue's native name. */
  readonly byNative: ReadonlyMap<string, CarriedSymbol>;
  readonly rest: RestClient;
  /**
   * The book state machine of one symbol on this connection (created on first call; the
   * options of the first call win). See books/book.types.ts.
   */
  book(symbol: CarriedSymbol, options: BookOptions): BookHandle;
  /** A trade (de-duplicated by id across reconnects and rotations, published once). */
  trade(symbol: CarriedSymbol, trade: TradeIn): void;
  /** Best bid/ask. */
  topOfBook(symbol: CarriedSymbol, l1: TopOfBookIn): void;
  /** Sends a text frame now (control replies such as pongs; subscriptions go through the plan). */
  send(text: string): void;
  /**
   * Queues frames behind the connection's pacer (`limits.maxOutgoingPerSecond`, shared with the
   * plan's subscriptions): resubscriptions, retries — anything that may come in bursts.
   */
  sendPaced(...texts: string[]): void;
  /**
   * The venue confirms this connection is idle, not broken (Kraken `heartbeat`): the per-symbol
   * stale watchdog does not count the silence so far against the connection's symbols.
   */
  idle(): void;
  /**
   * Something worth a (rate-limited) log line that is not a malformed frame — a refused
   * subscription, a venue error — so it does not inflate `parse_errors_total`.
   */
  warn(message: string): void;
  /** The venue announced the end of this connection (Binance `serverShutdown`): rotate make-before-break. */
  rotate(reason: string): void;
  /** A frame that could not be understood: counted and logged truncated, never thrown. */
  parseError(frame: string, reason: string): void;
  /** A frame of a channel the gateway does not carry (klines…): counted, not an error. */
  skipped(): void;
  /**
   * A data-quality event the adapter found itself, for any symbol (also trade-only ones): `gap`
   * (lost trades), `checksum_mismatch`, `stale`, `resync`, `connected`… Published as
   * `md.status.<venue>.<symbol>` and counted. For a book, `book.fail(kind, reason)` also resyncs it.
   */
  status(symbol: CarriedSymbol, state: FeedState, reason: string): void;
}

export type { FailureKind };
