import { NearCache, type NearStrategy, parseStrategy } from './near-cache';

export const MARKET_NAMESPACE = 'md';
const MAX_DYNAMIC_NAMESPACES = 64;
const SHARED = '_other';

export interface NearCachesOptions {
  marketMaxEntries: number;
  maxAgeMs: number;
  /** `ns=strategy,…` (CACHE_KV_NAMESPACES). */
  namespaces: string;
  /** Strategy of namespaces not listed (CACHE_KV_DEFAULT). */
  defaultStrategy: string;
}

/**
 * Every near cache of the process: `md` for market data (LRU) and one per generic KV namespace
 * with its configured strategy. Unlisted namespaces get the default strategy; past 64 of them,
 * they share one cache (memory stays bounded whatever names clients send).
 */
export class NearCaches {
  readonly market: NearCache;
  private readonly namespaces = new Map<string, NearCache>();
  private readonly defaultStrategy: NearStrategy;

  constructor(private readonly options: NearCachesOptions) {
    this.market = new NearCache(MARKET_NAMESPACE, { kind: 'lru', max: options.marketMaxEntries }, options.maxAgeMs);
    this.defaultStrategy = parseStrategy(options.defaultStrategy);
    for (const entry of options.namespaces
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const at = entry.indexOf('=');
      const name = entry.slice(0, at);
      this.namespaces.set(name, new NearCache(name, parseStrategy(entry.slice(at + 1)), options.maxAgeMs));
    }
  }

  namespace(name: string): NearCache {
    let cache = this.namespaces.get(name);
    if (cache) return cache;
    const dynamic = this.namespaces.size;
    if (dynamic >= MAX_DYNAMIC_NAMESPACES) return this.shared();
    cache = new NearCache(name, this.defaultStrategy, this.options.maxAgeMs);
    this.namespaces.set(name, cache);
    return cache;
  }

  /** The near cache holding a Redis key (`kv:{ns}:…` → that namespace, anything else → `md`). */
  forKey(key: string): NearCache | undefined {
    if (!key.startsWith('kv:{')) return this.market;
    const close = key.indexOf('}');
    return close > 4 ? this.namespaces.get(key.slice(4, close)) : undefined;
  }

  all(): NearCache[] {
    return [this.market, ...this.namespaces.values()];
  }

  private shared(): NearCache {
    let cache = this.namespaces.get(SHARED);
    if (!cache) {
      cache = new NearCache(SHARED, this.defaultStrategy, this.options.maxAgeMs);
      this.namespaces.set(SHARED, cache);
    }
    return cache;
  }
}
