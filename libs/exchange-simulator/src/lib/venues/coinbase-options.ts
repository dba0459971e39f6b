/**
 * Coinbase Exchange feed rules (docs.cdp.coinbase.com → Exchange → WebSocket feed). Overridable
 * per simulator: `startSimulator({ venueOptions: { coinbase: { subscribeTimeoutMs: 300 } } })`.
 */
export interface CoinbaseOptions {
  /** A connection that sends no `subscribe` within this time is disconnected ("within 5 seconds"). */
  subscribeTimeoutMs: number;
  /** `level2_batch` cadence ("batches level2 messages every 0.05 seconds"). */
  batchMs: number;
  /** Trades per product kept for `GET /products/<id>/trades` (the newest; older ones are no longer served). */
  tradeHistory: number;
}

export const COINBASE_DEFAULTS: CoinbaseOptions = { subscribeTimeoutMs: 5000, batchMs: 50, tradeHistory: 100_000 };

/** The feed's answer to an unauthenticated `level2` (also `level3`, `full`) subscription. */
export const AUTH_REQUIRED_REASON =
  'level2, level3, and full channels now require authentication. https://docs.cloud.coinbase.com/exchange/docs/websocket-auth';

declare module './venue' {
  interface VenueOptions {
    /** Coinbase Exchange feed rules (defaults: COINBASE_DEFAULTS). */
    coinbase?: Partial<CoinbaseOptions>;
  }
}

/** A UUID-shaped id derived from a string (order ids in matches and the level-3 book). */
export function syntheticUuid(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    h1 = Math.imul(h1 ^ text.charCodeAt(i), 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ text.charCodeAt(i), 0x5bd1e995) >>> 0;
  }
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  const a = hex(h1);
  const b = hex(h2);
  const c = hex(Math.imul(h1 ^ h2, 0x27d4eb2d) >>> 0);
  const d = hex(Math.imul(h2 + 0x9e3779b9, h1 | 1) >>> 0);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${'89ab'[h1 & 3]}${c.slice(1, 4)}-${c.slice(4)}${d}`;
}
