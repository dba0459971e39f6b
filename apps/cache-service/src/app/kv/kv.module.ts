import { Module } from '@nestjs/common';

import { NearCacheModule } from '../near-cache/near-cache.module';
import { NearCacheService } from '../near-cache/near-cache.service';
import { PointReader } from '../queries/point-reader';
import { QueriesModule } from '../queries/queries.module';
import { RedisStore } from '../store/redis-store';
import { CacheMetrics } from '../telemetry/cache-metrics';
import { KvController } from './kv.controller';
import { KvNatsService } from './kv-nats.service';
import { KvQueries } from './kv-queries';

@Module({
  imports: [NearCacheModule, QueriesModule],
  controllers: [KvController],
  providers: [
    {
      provide: KvQueries,
      inject: [PointReader, NearCacheService, RedisStore, CacheMetrics],
      useFactory: (r: PointReader, near: NearCacheService, s: RedisStore, m: CacheMetrics) => new KvQueries(r, near.caches, s, near, m),
    },
    KvNatsService,
  ],
  exports: [KvQueries],
})
export class KvModule {}
