import { Module } from '@nestjs/common';

import type { DbProxyConfig } from '../db-proxy.config';
import { DB_PROXY_CONFIG } from '../db-proxy.constants';
import { PoolManager } from '../pool/pool-manager';
import { PartitionMaintainer } from './partition-maintainer';
import { SchemaService } from './schema.service';

/** Migrations and daily partitions (creation ahead, retention). */
@Module({
  providers: [
    {
      provide: PartitionMaintainer,
      inject: [PoolManager, DB_PROXY_CONFIG],
      useFactory: (pool: PoolManager, config: DbProxyConfig) =>
        new PartitionMaintainer(pool, { retentionDays: config.TRADES_RETENTION_DAYS, aheadDays: config.TRADES_PARTITIONS_AHEAD }),
    },
    SchemaService,
  ],
  exports: [PartitionMaintainer, SchemaService],
})
export class SchemaModule {}
