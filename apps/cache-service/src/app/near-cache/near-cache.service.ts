import { type DataSubscription, NatsConnector, Subjects } from '@cryptoscalp/messaging';

import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

import { CACHE_CONFIG } from '../cache.constants';
import type { CacheConfig } from '../cache-service.config';
import type { WrittenListener } from '../ingest/flush-writer';
import type { InvalidationSink } from '../kv/kv-queries';
import { CacheMetrics } from '../telemetry/cache-metrics';
import { encodeInvalidation, type Invalidation, InvalidationDecoder } from './invalidation';
import { NearCaches } from './near-caches';

/**
 * The process's near caches, kept correct across replicas over NATS: after every write to Redis
 * the writer publishes the keys on `cache.inval` (no queue group: every replica hears it) and every
 * other replica invalidates them. The writer's own near cache takes the new values directly.
 */
@Injectable()
export class NearCacheService implements WrittenListener, InvalidationSink, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(NearCacheService.name);
  readonly caches: NearCaches;
  readonly subject: string;
  private readonly instance: string;
  private sub: DataSubscription<Invalidation> | undefined;

  constructor(
    @Inject(CACHE_CONFIG) config: CacheConfig,
    private readonly nats: NatsConnector,
    subjects: Subjects,
    private readonly metrics: CacheMetrics,
  ) {
    this.caches = new NearCaches({
      marketMaxEntries: config.CACHE_NEAR_MAX_ENTRIES,
      maxAgeMs: config.CACHE_NEAR_MAX_AGE_MS,
      namespaces: config.CACHE_KV_NAMESPACES,
      defaultStrategy: config.CACHE_KV_DEFAULT,
    });
    this.subject = subjects.query('cache', 'inval');
    this.instance = config.INSTANCE_ID;
    const caches = this.caches;
    const ratio = metrics.hitRatio;
    metrics.registry.gauge('cache_near_entries', 'Entries held per near-cache namespace', ['namespace'], function () {
      for (const c of caches.all()) {
        this.set({ namespace: c.name }, c.size);
        // cache_hit_ratio is refreshed on the same scrape.
        ratio.set({ layer: 'near', namespace: c.name }, c.hitRatio());
        const s = c.stats;
        ratio.set({ layer: 'redis', namespace: c.name }, s.redisHits + s.redisMisses ? s.redisHits / (s.redisHits + s.redisMisses) : 0);
      }
    });
  }

  onApplicationBootstrap(): void {
    this.sub = this.nats.subscribe<Invalidation>(this.subject, (m) => this.onInvalidation(m), { decoder: InvalidationDecoder });
    this.logger.log(`near-cache invalidations on ${this.subject}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sub?.drain();
  }

  /** The flusher wrote these values (undefined: deleted) to Redis. */
  written(values: [key: string, value: string | undefined][]): void {
    if (values.length === 0) return;
    const market = this.caches.market;
    const keys: string[] = new Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const [key, value] = values[i] as [string, string | undefined];
      if (value === undefined) market.delete(key);
      else market.set(key, value);
      keys[i] = key;
    }
    this.invalidate(keys);
  }

  invalidate(keys: string[]): void {
    if (this.nats.publish(this.subject, encodeInvalidation(this.instance, keys))) this.metrics.invalidations.inc({ direction: 'sent' });
  }

  private onInvalidation(m: Invalidation): void {
    if (m.from === this.instance) return;
    this.metrics.invalidations.inc({ direction: 'received' });
    for (const key of m.keys) this.caches.forKey(key)?.invalidate(key);
  }
}
