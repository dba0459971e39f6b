import { ResilienceRegistry } from '@cryptoscalp/circuit-breaker';
import { REDIS_CLIENT } from '@cryptoscalp/redis';

import { type DynamicModule, Module } from '@nestjs/common';

import { CACHE_CONFIG } from '../cache.constants';
import type { CacheConfig } from '../cache-service.config';
import { CacheMetrics } from '../telemetry/cache-metrics';
import { type RedisClient, RedisStore } from './redis-store';

/** Name of the Redis circuit breaker (`cs_circuit_breaker_state{breaker="redis"}`). */
export const REDIS_BREAKER = 'redis';

/**
 * RedisStore: the client behind the `redis` circuit breaker. Opens after 3 failures in a row,
 * probes again after 500 ms; not critical (the `redis` component already fails readiness).
 */
@Module({})
export class StoreModule {
  /** Also provides CACHE_CONFIG and CacheMetrics to every module (global). */
  static forRoot(config: CacheConfig): DynamicModule {
    return {
      module: StoreModule,
      global: true,
      providers: [
        { provide: CACHE_CONFIG, useValue: config },
        CacheMetrics,
        {
          provide: RedisStore,
          inject: [REDIS_CLIENT, ResilienceRegistry, CacheMetrics],
          useFactory: (client: RedisClient, resilience: ResilienceRegistry, metrics: CacheMetrics) => {
            const policy =
              resilience.get(REDIS_BREAKER) ??
              resilience.create(REDIS_BREAKER, {
                breaker: { window: { kind: 'consecutive', failures: 3 }, halfOpenAfterMs: 500, critical: false },
                timeoutMs: 2000,
              });
            const store = new RedisStore(client, policy, metrics.redisOp, config.REDIS_MODE === 'cluster');
            metrics.redisConnected.set(client.status === 'ready' ? 1 : 0);
            client.on('ready', () => metrics.redisConnected.set(1));
            client.on('close', () => metrics.redisConnected.set(0));
            return store;
          },
        },
      ],
      exports: [CACHE_CONFIG, CacheMetrics, RedisStore],
    };
  }
}
