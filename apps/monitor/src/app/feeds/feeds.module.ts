import { type DynamicModule, Module } from '@nestjs/common';

import { FEEDS_OPTIONS, type FeedsOptions } from './feeds.constants';
import { FeedsService } from './feeds.service';

@Module({})
export class FeedsModule {
  static forRoot(options: FeedsOptions): DynamicModule {
    return {
      module: FeedsModule,
      global: true,
      providers: [{ provide: FEEDS_OPTIONS, useValue: options }, FeedsService],
      exports: [FeedsService],
    };
  }
}
