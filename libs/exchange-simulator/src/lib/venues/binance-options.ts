/**
 * Binance spot connection rules, as the WebSocket Streams documentation states them
 * (developers.binance.com → Spot → WebSocket Streams → "General WSS information" and
 * "WebSocket Limits"). Every value can be overridden per simulator for tests:
 * `startSimulator({ venueOptions: { binance: { pongTimeoutMs: 500 } } })`.
 */
export interface BinanceOptions {
  /** A client that has not answered a server ping with a pong for this long is disconnected ("within a minute"). */
  pongTimeoutMs: number;
  /** Incoming messages per second (JSON requests, PING and PONG frames all count) before disconnection. */
  maxIncomingPerSecond: number;
  /** Connection attempts allowed per IP in `connectionAttemptWindowMs` (300 per 5 minutes). */
  maxConnectionAttempts: number;
  connectionAttemptWindowMs: number;
  /** Streams per connection. */
  maxStreams: number;
}

export const BINANCE_DEFAULTS: BinanceOptions = {
  pongTimeoutMs: 60_000,
  maxIncomingPerSecond: 5,
  maxConnectionAttempts: 300,
  connectionAttemptWindowMs: 5 * 60_000,
  maxStreams: 1024,
};

/** Levels per side of the synthetic Binance books: deeper than the largest REST snapshot (5000). */
export const BINANCE_BOOK_DEPTH = 6000;

declare module './venue' {
  interface VenueOptions {
    /** Binance spot connection rules (defaults: BINANCE_DEFAULTS). */
    binance?: Partial<BinanceOptions>;
  }
}
