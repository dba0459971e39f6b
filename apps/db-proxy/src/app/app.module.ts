import { PlatformModule } from '@cryptoscalp/platform';

import { type DynamicModule, Module } from '@nestjs/common';

import type { DbProxyConfig } from './db-proxy.config';
import { SERVICE_NAME } from './db-proxy.constants';
import { IngestModule } from './ingest/ingest.module';
import { PoolModule } from './pool/pool.module';
import { QueriesModule } from './queries/queries.module';
import { SchemaModule } from './schema/schema.module';

export { SERVICE_NAME };

@Module({})
export class AppModule {
  static forRoot(config: DbProxyConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot({ service: SERVICE_NAME, config }), PoolModule.forRoot(config), SchemaModule, IngestModule, QueriesModule],
    };
  }
}
