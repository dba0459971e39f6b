import { type DynamicModule, Module } from '@nestjs/common';

import { ALERTING_OPTIONS, type AlertingOptions } from './alerting.constants';
import { AlertingService } from './alerting.service';

@Module({})
export class AlertingModule {
  static forRoot(options: AlertingOptions): DynamicModule {
    return {
      module: AlertingModule,
      global: true,
      providers: [{ provide: ALERTING_OPTIONS, useValue: options }, AlertingService],
      exports: [AlertingService],
    };
  }
}
