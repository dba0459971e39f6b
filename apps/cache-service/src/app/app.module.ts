import { PlatformModule } from '@cryptoscalp/platform';
import { RedisModule } from '@cryptoscalp/redis';

import { type DynamicModule, Module } from '@nestjs/common';

import { HOT_READ_ROUTES, SERVICE_NAME } from './cache.constants';
import type { CacheConfig } from './cache-service.config';
import { FastReadsModule } from './fast-reads/fast-reads.module';
import { CacheHealthModule } from './health/cache-health.module';
import { IngestModule } from './ingest/ingest.module';
import { KvModule } from './kv/kv.module';
import { QueriesModule } from './queries/queries.module';
import { RedisTopologyModule } from './store/redis-topology.module';
import { StoreModule } from './store/store.module';

export { SERVICE_NAME };

@Module({})
export class AppModule {
  static forRoot(config: CacheConfig): DynamicModule {
    const connectionName = `${SERVICE_NAME}/${config.INSTANCE_ID}`;
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ service: SERVICE_NAME, config, hotRoutes: HOT_READ_ROUTES }),
        config.REDIS_MODE === 'standalone'
          ? RedisModule.forRoot(config, connectionName)
          : RedisTopologyModule.forRoot(config, connectionName),
        StoreModule.forRoot(config),
        IngestModule,
        QueriesModule,
        KvModule,
        FastReadsModule,
        CacheHealthModule,
      ],
    };
  }
}
