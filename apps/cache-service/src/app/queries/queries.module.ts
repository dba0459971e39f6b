import { Module } from '@nestjs/common';

import { CACHE_CONFIG } from '../cache.constants';
import type { CacheConfig } from '../cache-service.config';
import { NearCacheModule } from '../near-cache/near-cache.module';
import { NearCacheService } from '../near-cache/near-cache.service';
import { RedisStore } from '../store/redis-store';
import { CacheMetrics } from '../telemetry/cache-metrics';
import { HttpTuningService } from './http-tuning.service';
import { MarketController } from './market.controller';
import { MarketNatsService } from './market-nats.service';
import { MarketQueries } from './market-queries';
import { PointReader } from './point-reader';

@Module({
  imports: [NearCacheModule],
  controllers: [MarketController],
  providers: [
    { provide: PointReader, inject: [RedisStore, CacheMetrics], useFactory: (s: RedisStore, m: CacheMetrics) => new PointReader(s, m) },
    {
      provide: MarketQueries,
      inject: [PointReader, NearCacheService, RedisStore, CACHE_CONFIG],
      useFactory: (r: PointReader, near: NearCacheService, s: RedisStore, c: CacheConfig) =>
        new MarketQueries(r, near.caches.market, s, c.CACHE_BOOK_DEPTH),
    },
    MarketNatsService,
    HttpTuningService,
  ],
  exports: [PointReader, MarketQueries],
})
export class QueriesModule {}
