import { Module, type DynamicModule } from '@nestjs/common';

import { PlatformModule } from '@cryptoscalp/platform';

import type { CacheConfig } from './cache-service.config';

export const SERVICE_NAME = 'cache-service';

@Module({})
export class AppModule {
  static forRoot(config: CacheConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot({ service: SERVICE_NAME, config, redis: true })],
    };
  }
}
