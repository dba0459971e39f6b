import { Keys } from '../market/keys';
import type { NearCaches } from '../near-cache/near-caches';
import { ApiError, type QueryResult } from '../queries/api-error';
import type { Params } from '../queries/market-queries';
import type { PointReader } from '../queries/point-reader';
import { keyParam, keysParam, namespaceParam, ttlParam, valueParam } from '../queries/query-params';
import type { RedisStore } from '../store/redis-store';
import type { CacheMetrics } from '../telemetry/cache-metrics';

/** Tells the other replicas that keys changed (their near caches drop them). */
export interface InvalidationSink {
  invalidate(keys: string[]): void;
}

/**
 * The generic cache API for other services' keys: get / mget / set / del with TTL, one near cache
 * per namespace (its own LRU, LFU or TTL strategy), hit/miss statistics per namespace.
 */
export class KvQueries {
  constructor(
    private readonly reader: PointReader,
    private readonly caches: NearCaches,
    private readonly store: RedisStore,
    private readonly sink: InvalidationSink,
    private readonly metrics: CacheMetrics,
  ) {}

  async get(p: Params): Promise<QueryResult> {
    const ns = namespaceParam(p['namespace']);
    const key = keyParam(p['key']);
    const r = await this.reader.read(this.caches.namespace(ns), Keys.kv(ns, key));
    if (!r) throw new ApiError(404, `no key ${key} in namespace ${ns}`);
    return { data: { namespace: ns, key, value: r.value }, ...(r.stale ? { stale: r.stale } : {}) };
  }

  /** Values in the order asked, `null` for missing keys. */
  async mget(p: Params): Promise<QueryResult> {
    const ns = namespaceParam(p['namespace']);
    const keys = keysParam(p['keys']);
    const near = this.caches.namespace(ns);
    const values: (string | null)[] = new Array(keys.length).fill(null);
    const missing: number[] = [];
    keys.forEach((k, i) => {
      const v = near.get(Keys.kv(ns, k));
      if (v === undefined) missing.push(i);
      else values[i] = v;
    });
    let stale = false;
    if (missing.length) {
      const since = near.begin();
      try {
        const got = await this.store.mget(missing.map((i) => Keys.kv(ns, keys[i] as string)));
        missing.forEach((i, j) => {
          const v = got[j] ?? null;
          values[i] = v;
          this.metrics.reads.inc({ layer: 'redis', result: v === null ? 'miss' : 'hit', namespace: near.name });
          if (v === null) near.stats.redisMisses++;
          else near.stats.redisHits++;
          if (v !== null) near.fill(Keys.kv(ns, keys[i] as string), v, since);
        });
      } catch (err) {
        for (const i of missing) {
          const v = near.getStale(Keys.kv(ns, keys[i] as string));
          if (v === undefined) throw new ApiError(503, `Redis unavailable (${(err as Error).message}) and no cached copy of ${keys[i]}`);
          values[i] = v;
        }
        stale = true;
      }
    }
    return {
      data: { namespace: ns, values: Object.fromEntries(keys.map((k, i) => [k, values[i]])) },
      ...(stale ? { stale: 'redis-unavailable' as const } : {}),
    };
  }

  async set(p: Params): Promise<QueryResult> {
    const ns = namespaceParam(p['namespace']);
    const key = keyParam(p['key']);
    const value = valueParam(p['value']);
    const ttlMs = ttlParam(p['ttlMs']);
    const redisKey = Keys.kv(ns, key);
    await this.write(() => this.store.set(redisKey, value, ttlMs));
    this.caches.namespace(ns).set(redisKey, value);
    this.sink.invalidate([redisKey]);
    return { data: { namespace: ns, key, stored: true, ...(ttlMs ? { ttlMs } : {}) } };
  }

  async del(p: Params): Promise<QueryResult> {
    const ns = namespaceParam(p['namespace']);
    const key = keyParam(p['key']);
    const redisKey = Keys.kv(ns, key);
    const removed = await this.write(() => this.store.del(redisKey));
    this.caches.namespace(ns).delete(redisKey);
    this.sink.invalidate([redisKey]);
    return { data: { namespace: ns, key, deleted: removed > 0 } };
  }

  /** Near-cache statistics per namespace. */
  stats(): QueryResult {
    return {
      data: Object.fromEntries(
        this.caches
          .all()
          .map((c) => [c.name, { strategy: c.strategy, entries: c.size, hitRatio: Math.round(c.hitRatio() * 1e4) / 1e4, ...c.stats }]),
      ),
    };
  }

  private async write<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new ApiError(503, `Redis unavailable, nothing written: ${(err as Error).message}`);
    }
  }
}
