import { LRUCache } from 'lru-cache';

import { LfuStore } from './lfu-store';

export type NearStrategy = { kind: 'lru'; max: number } | { kind: 'lfu'; max: number } | { kind: 'ttl'; max: number; ttlMs: number };

/** Parses `lru:<max>`, `lfu:<max>` or `ttl:<max>:<ttlMs>` (validated by the config schema). */
export function parseStrategy(text: string): NearStrategy {
  const [kind, max, ttl] = text.split(':');
  if (kind === 'ttl') return { kind, max: Number(max), ttlMs: Number(ttl) };
  return { kind: kind === 'lfu' ? 'lfu' : 'lru', max: Number(max) };
}

interface Entry {
  /** Undefined for a tombstone (an invalidation of a key that was not held). */
  value: string | undefined;
  valid: boolean;
  storedAt: number;
  /** Logical time of the last set or invalidation of this key. */
  mod: number;
}

interface EntryStore {
  get(key: string): Entry | undefined;
  set(key: string, entry: Entry): void;
  delete(key: string): boolean;
  clear(): void;
  readonly size: number;
}

export interface NearCacheStats {
  hits: number;
  misses: number;
  staleServed: number;
  fills: number;
  rejectedFills: number;
  invalidations: number;
  /** Reads that went on to Redis (counted by the reader). */
  redisHits: number;
  redisMisses: number;
}

/**
 * An in-process cache in front of Redis, bounded in entries with an LRU, LFU or TTL policy.
 *
 * Correctness rules (docs/cache-service.md, "Near cache"):
 * - `get` answers only an entry that is valid and younger than `maxAgeMs`: even a lost
 *   invalidation cannot make a read staler than `maxAgeMs`.
 * - `invalidate` (another replica wrote the key) marks the entry invalid but keeps its value, which
 *   `getStale` still serves (marked stale) while Redis is unreachable.
 * - A read-through `fill` started before an invalidation or a `set` of the same key is discarded,
 *   so a slow Redis read can never put an older value back (`begin()` → read → `fill`).
 */
export class NearCache {
  private readonly store: EntryStore;
  private clock = 0;
  readonly maxAgeMs: number;
  readonly stats: NearCacheStats = {
    hits: 0,
    misses: 0,
    staleServed: 0,
    fills: 0,
    rejectedFills: 0,
    invalidations: 0,
    redisHits: 0,
    redisMisses: 0,
  };

  constructor(
    readonly name: string,
    readonly strategy: NearStrategy,
    maxAgeMs: number,
  ) {
    this.maxAgeMs = strategy.kind === 'ttl' ? Math.min(maxAgeMs, strategy.ttlMs) : maxAgeMs;
    if (strategy.kind === 'lfu') this.store = new LfuStore<Entry>(strategy.max);
    else if (strategy.kind === 'ttl')
      this.store = new LRUCache<string, Entry>({ max: strategy.max, ttl: strategy.ttlMs, updateAgeOnGet: false });
    else this.store = new LRUCache<string, Entry>({ max: strategy.max });
  }

  get size(): number {
    return this.store.size;
  }

  /** The value if held, valid and fresh; counts a hit or a miss. */
  get(key: string): string | undefined {
    const e = this.store.get(key);
    if (e !== undefined && e.valid && e.value !== undefined && Date.now() - e.storedAt <= this.maxAgeMs) {
      this.stats.hits++;
      return e.value;
    }
    this.stats.misses++;
    return undefined;
  }

  /** Whatever value is held, however old (served marked stale while Redis is down). */
  getStale(key: string): string | undefined {
    const value = this.store.get(key)?.value;
    if (value !== undefined) this.stats.staleServed++;
    return value;
  }

  /** Call before a read-through; pass the result to `fill`. */
  begin(): number {
    return this.clock;
  }

  /** Stores a value read from Redis unless the key was set or invalidated since `begin()`. */
  fill(key: string, value: string, since: number): boolean {
    const e = this.store.get(key);
    if (e !== undefined && e.mod > since) {
      this.stats.rejectedFills++;
      return false;
    }
    this.stats.fills++;
    this.store.set(key, { value, valid: true, storedAt: Date.now(), mod: e?.mod ?? 0 });
    return true;
  }

  /** This process wrote the value to Redis: it is the newest. */
  set(key: string, value: string): void {
    this.store.set(key, { value, valid: true, storedAt: Date.now(), mod: ++this.clock });
  }

  /** The key changed (or was deleted) elsewhere. */
  invalidate(key: string): void {
    this.stats.invalidations++;
    const mod = ++this.clock;
    const e = this.store.get(key);
    if (e) {
      e.valid = false;
      e.mod = mod;
    } else {
      this.store.set(key, { value: undefined, valid: false, storedAt: 0, mod });
    }
  }

  /** This process deleted the key. */
  delete(key: string): void {
    this.store.set(key, { value: undefined, valid: false, storedAt: 0, mod: ++this.clock });
  }

  clear(): void {
    this.store.clear();
  }

  hitRatio(): number {
    const total = this.stats.hits + this.stats.misses;
    return total === 0 ? 0 : this.stats.hits / total;
  }
}
