import { PlatformModule } from '@cryptoscalp/platform';
import { RedisModule } from '@cryptoscalp/redis';

import { type DynamicModule, Module } from '@nestjs/common';

import type { CacheConfig } from './cache-service.config';

export const SERVICE_NAME = 'cache-service';

@Module({})
export class AppModule {
  static forRoot(config: CacheConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ service: SERVICE_NAME, config }),
        RedisModule.forRoot(config, `${SERVICE_NAME}/${config.INSTANCE_ID}`),
      ],
    };
  }
}
