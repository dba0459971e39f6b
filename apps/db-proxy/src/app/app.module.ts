import { PlatformModule } from '@cryptoscalp/platform';
import { PostgresModule } from '@cryptoscalp/postgres';

import { type DynamicModule, Module } from '@nestjs/common';

import type { DbProxyConfig } from './db-proxy.config';

export const SERVICE_NAME = 'db-proxy';

@Module({})
export class AppModule {
  static forRoot(config: DbProxyConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ service: SERVICE_NAME, config }),
        PostgresModule.forRoot(config, `${SERVICE_NAME}/${config.INSTANCE_ID}`),
      ],
    };
  }
}
