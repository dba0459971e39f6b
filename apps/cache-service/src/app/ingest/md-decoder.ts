import {
  type Decoder,
  type FeedStatus,
  type L1,
  L1Decoder,
  type L2,
  L2Decoder,
  PayloadError,
  StatusSchema,
  type Trade,
  TradeDecoder,
  zodDecoder,
} from '@cryptoscalp/messaging';

/** One decoded `md.*` message, tagged by kind (taken from the subject). */
export type MarketUpdate = { kind: 'trade'; m: Trade } | { kind: 'l1'; m: L1 } | { kind: 'l2'; m: L2 } | { kind: 'status'; m: FeedStatus };

/** Returned for a symbol another shard keeps: dropped without being parsed. */
export const FOREIGN = { kind: 'foreign' } as const;
export type Decoded = MarketUpdate | typeof FOREIGN;

const DECODERS: Record<string, Decoder<unknown>> = {
  trade: TradeDecoder,
  l1: L1Decoder,
  l2: L2Decoder,
  status: zodDecoder(StatusSchema),
};

/** FNV-1a of the symbol, modulo the shard count. */
export function shardOf(symbol: string, count: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < symbol.length; i++) {
    h ^= symbol.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % count;
}

/**
 * Decodes `<prefix>md.<kind>.<venue>.<symbol>`: picks the validator by kind, skips symbols of
 * other shards before parsing, and rejects a body whose venue or symbol differs from its subject.
 */
export function marketDataDecoder(prefix: string, shard: { index: number; count: number }): Decoder<Decoded> {
  const owned = new Map<string, boolean>();
  return {
    decode(data, subject) {
      const parts = subject.slice(prefix.length).split('.');
      const decoder = parts.length === 4 ? DECODERS[parts[1] as string] : undefined;
      if (!decoder) throw new PayloadError(subject, 'subject: expected md.<trade|l1|l2|status>.<venue>.<symbol>');
      const symbol = parts[3] as string;
      if (shard.count > 1) {
        let mine = owned.get(symbol);
        if (mine === undefined) {
          mine = shardOf(symbol, shard.count) === shard.index;
          if (owned.size < 100_000) owned.set(symbol, mine);
        }
        if (!mine) return FOREIGN;
      }
      const m = decoder.decode(data, subject) as { venue: string; symbol: string };
      if (m.venue !== parts[2] || m.symbol !== symbol) throw new PayloadError(subject, 'venue/symbol: the body does not match the subject');
      return { kind: parts[1], m } as MarketUpdate;
    },
  };
}
