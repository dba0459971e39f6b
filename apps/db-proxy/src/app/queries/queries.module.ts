import { Module } from '@nestjs/common';

import type { DbProxyConfig } from '../db-proxy.config';
import { DB_PROXY_CONFIG } from '../db-proxy.constants';
import { IngestModule } from '../ingest/ingest.module';
import { IngestService } from '../ingest/ingest.service';
import { PoolManager } from '../pool/pool-manager';
import { QueriesController } from './queries.controller';
import { QueriesNatsResponder } from './queries.nats';
import { QueryApi } from './query-api';
import { TradeQueries } from './trade-queries';

/** History queries over HTTP (`/v1/...`) and NATS (`db.*`). */
@Module({
  imports: [IngestModule],
  controllers: [QueriesController],
  providers: [
    {
      provide: QueryApi,
      inject: [PoolManager, IngestService, DB_PROXY_CONFIG],
      useFactory: (pool: PoolManager, ingest: IngestService, config: DbProxyConfig) =>
        new QueryApi(
          new TradeQueries(pool, () => ingest.lag),
          config.QUERY_MAX_LIMIT,
        ),
    },
    QueriesNatsResponder,
  ],
})
export class QueriesModule {}
