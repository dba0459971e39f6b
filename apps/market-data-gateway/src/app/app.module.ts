import { PlatformModule } from '@cryptoscalp/platform';

import { type DynamicModule, Module } from '@nestjs/common';

import { BooksModule } from './books/books.module';
import { FeedsModule } from './feeds/feeds.module';
import type { GatewayConfig } from './market-data-gateway.config';

export const SERVICE_NAME = 'market-data-gateway';

@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot({ service: SERVICE_NAME, config }), FeedsModule, BooksModule],
    };
  }
}
