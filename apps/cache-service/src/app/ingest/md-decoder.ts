import {
  type Decoder,
  type FeedStatus,
  type L1,
  type L2,
  PayloadError,
  StatusSchema,
  type Trade,
  validateL1,
  validateL2,
  validateTrade,
} from '@cryptoscalp/messaging';

/** One decoded `md.*` message, tagged by kind. */
export type MarketUpdate = { kind: 'trade'; m: Trade } | { kind: 'l1'; m: L1 } | { kind: 'l2'; m: L2 } | { kind: 'status'; m: FeedStatus };

/** Returned for a symbol another shard keeps: dropped by the handler. */
export const FOREIGN = { kind: 'foreign' } as const;
export type Decoded = MarketUpdate | typeof FOREIGN;

/** FNV-1a of the symbol, modulo the shard count. */
export function shardOf(symbol: string, count: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < symbol.length; i++) {
    h ^= symbol.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % count;
}

const text = new TextDecoder();

function validateStatus(o: object): string | undefined {
  const r = StatusSchema.safeParse(o);
  return r.success ? undefined : r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/**
 * Decodes any v1 market-data message arriving on the one `md.>` subscription (one subscription
 * keeps the order between kinds: a `gap` status and the snapshot after it). The data plane hands
 * decoders the subscription's subject, not each message's, so the kind is told from the body —
 * the four v1 shapes have disjoint required fields (`snapshot`, `bidPx`, `state`, `id`) — then
 * validated with the data plane's validators. Symbols of other shards are returned as FOREIGN.
 */
export function marketDataDecoder(shard: { index: number; count: number }): Decoder<Decoded> {
  const owned = new Map<string, boolean>();
  return {
    decode(data, subject) {
      const raw = text.decode(data);
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(raw) as Record<string, unknown>;
      } catch (err) {
        throw new PayloadError(subject, `not JSON (${(err as Error).message}): ${raw.slice(0, 80)}`);
      }
      if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new PayloadError(subject, '(root): expected an object');
      let kind: MarketUpdate['kind'];
      let problem: string | undefined;
      if ('snapshot' in o) {
        kind = 'l2';
        problem = validateL2(o);
      } else if ('bidPx' in o) {
        kind = 'l1';
        problem = validateL1(o);
      } else if ('state' in o) {
        kind = 'status';
        problem = validateStatus(o);
      } else if ('id' in o) {
        kind = 'trade';
        problem = validateTrade(o);
      } else {
        throw new PayloadError(subject, '(root): not a v1 trade, l1, l2 or status message');
      }
      if (problem !== undefined) throw new PayloadError(subject, `${kind}: ${problem}`);
      if (shard.count > 1) {
        const symbol = o['symbol'] as string;
        let mine = owned.get(symbol);
        if (mine === undefined) {
          mine = shardOf(symbol, shard.count) === shard.index;
          if (owned.size < 100_000) owned.set(symbol, mine);
        }
        if (!mine) return FOREIGN;
      }
      return { kind, m: o } as MarketUpdate;
    },
  };
}
