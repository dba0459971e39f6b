import type { NearCache } from '../near-cache/near-cache';
import type { RedisStore } from '../store/redis-store';
import type { CacheMetrics } from '../telemetry/cache-metrics';
import { ApiError } from './api-error';

export interface PointRead {
  value: string;
  stale?: 'redis-unavailable';
}

/**
 * Reads one key through a near cache: a fresh near-cache entry, else Redis (filling the near
 * cache), else — Redis unreachable or its breaker open — whatever the near cache still holds,
 * marked stale. `undefined` when Redis has no such key; 503 when neither layer can answer.
 */
export class PointReader {
  constructor(
    private readonly store: RedisStore,
    private readonly metrics: CacheMetrics,
  ) {}

  async read(near: NearCache, key: string): Promise<PointRead | undefined> {
    const start = process.hrtime.bigint();
    const hit = near.get(key);
    if (hit !== undefined) {
      this.metrics.reads.inc({ layer: 'near', result: 'hit', namespace: near.name });
      this.observe('near', start);
      return { value: hit };
    }
    const since = near.begin();
    let value: string | null;
    try {
      value = await this.store.get(key);
    } catch (err) {
      const stale = near.getStale(key);
      this.metrics.reads.inc({ layer: 'near', result: stale === undefined ? 'miss' : 'stale', namespace: near.name });
      if (stale === undefined) throw new ApiError(503, `Redis unavailable (${(err as Error).message}) and no cached copy`);
      this.observe('stale', start);
      return { value: stale, stale: 'redis-unavailable' };
    }
    this.metrics.reads.inc({ layer: 'redis', result: value === null ? 'miss' : 'hit', namespace: near.name });
    this.observe('redis', start);
    if (value === null) {
      near.stats.redisMisses++;
      return undefined;
    }
    near.stats.redisHits++;
    near.fill(key, value, since);
    return { value };
  }

  private observe(source: string, start: bigint): void {
    this.metrics.readLatency.observe({ source }, Number(process.hrtime.bigint() - start) / 1e9);
  }
}
