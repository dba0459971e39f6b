import { type DynamicModule, Module } from '@nestjs/common';

import { AlertsApiController } from './alerts-api.controller';
import { API_OPTIONS, type ApiOptions } from './api.constants';
import { ApiTokenGuard } from './api-token.guard';
import { FeedsApiController } from './feeds-api.controller';
import { HealthApiController } from './health-api.controller';
import { HealthView } from './health-view';
import { UptimeApiController } from './uptime-api.controller';

@Module({})
export class ApiModule {
  static forRoot(options: ApiOptions): DynamicModule {
    return {
      module: ApiModule,
      controllers: [HealthApiController, FeedsApiController, AlertsApiController, UptimeApiController],
      providers: [{ provide: API_OPTIONS, useValue: options }, ApiTokenGuard, HealthView],
    };
  }
}
