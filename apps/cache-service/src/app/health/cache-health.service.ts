import { HealthRegistry } from '@cryptoscalp/health';

import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';

import { CACHE_CONFIG } from '../cache.constants';
import type { CacheConfig } from '../cache-service.config';
import { IngestService } from '../ingest/ingest.service';
import { RedisStore } from '../store/redis-store';

/**
 * Health components of the cache (besides `nats` and `redis`):
 * - `ingest:applyLag` warns when the last flush wrote an update more than CACHE_APPLY_LAG_WARN_MS
 *   after its exchange time;
 * - `redis-writes:pending` warns while writes cannot reach Redis (breaker open, flushes failing),
 *   with the trades waiting as the observed value.
 * Both are non-critical: the `redis` component already makes readiness fail when Redis is down.
 */
@Injectable()
export class CacheHealthService implements OnApplicationBootstrap {
  constructor(
    @Inject(CACHE_CONFIG) private readonly config: CacheConfig,
    private readonly health: HealthRegistry,
    private readonly ingest: IngestService,
    private readonly store: RedisStore,
  ) {}

  onApplicationBootstrap(): void {
    const warnMs = this.config.CACHE_APPLY_LAG_WARN_MS;
    this.health.register({
      name: 'ingest',
      critical: false,
      check: () => {
        const lag = this.ingest.writer.lastLagMs;
        return {
          measurement: 'applyLag',
          componentType: 'component',
          status: lag > warnMs ? 'warn' : 'pass',
          observedValue: lag,
          observedUnit: 'ms',
          ...(lag > warnMs ? { output: `last update written ${lag} ms after its exchange time (warn above ${warnMs} ms)` } : {}),
        };
      },
    });
    this.health.register({
      name: 'redis-writes',
      critical: false,
      check: () => {
        const w = this.ingest.writer;
        const failing = !this.store.available || w.consecutiveFailures > 0;
        return {
          measurement: 'pending',
          componentType: 'component',
          status: failing ? 'warn' : 'pass',
          observedValue: this.ingest.state.pendingTrades,
          observedUnit: 'trades',
          ...(failing
            ? {
                output: `writes deferred: breaker ${this.store.breakerState}, ${w.consecutiveFailures} failed flushes${w.lastError ? ` (${w.lastError.slice(0, 200)})` : ''}`,
              }
            : {}),
        };
      },
    });
  }
}
