/**
 * Redis key layout (every key also carries REDIS_KEY_PREFIX, added by the client). Instrument keys
 * hash-tag `{venue:symbol}` and KV keys `{namespace}`, so one flush group or one MGET stays in one
 * Redis Cluster slot. See docs/cache-service.md.
 */
export const Keys = {
  l1: (venue: string, symbol: string) => `l1:{${venue}:${symbol}}`,
  book: (venue: string, symbol: string) => `book:{${venue}:${symbol}}`,
  trades: (venue: string, symbol: string) => `trades:{${venue}:${symbol}}`,
  candles: (interval: CandleInterval, venue: string, symbol: string) => `candles:${interval}:{${venue}:${symbol}}`,
  status: (venue: string, symbol: string) => `status:{${venue}:${symbol}}`,
  bbo: (symbol: string) => `bbo:{${symbol}}`,
  kv: (namespace: string, key: string) => `kv:{${namespace}}:${key}`,
} as const;

export const CANDLE_INTERVALS = { '1s': 1000, '1m': 60_000 } as const;
export type CandleInterval = keyof typeof CANDLE_INTERVALS;

/** The cluster hash tag of a key (the part between the first `{` and the next `}`), or the key. */
export function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}
