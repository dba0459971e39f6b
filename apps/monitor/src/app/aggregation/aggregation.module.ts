import { type DynamicModule, Module } from '@nestjs/common';

import { AGGREGATION_OPTIONS, type AggregationOptions } from './aggregation.constants';
import { AggregationService } from './aggregation.service';

@Module({})
export class AggregationModule {
  static forRoot(options: AggregationOptions): DynamicModule {
    return {
      module: AggregationModule,
      global: true,
      providers: [{ provide: AGGREGATION_OPTIONS, useValue: options }, AggregationService],
      exports: [AggregationService, AGGREGATION_OPTIONS],
    };
  }
}
