import { type DynamicModule, Module } from '@nestjs/common';

import { DASHBOARD_OPTIONS, type DashboardOptions } from './dashboard.constants';
import { DashboardController } from './dashboard.controller';
import { DashboardStateService } from './dashboard-state.service';

@Module({})
export class DashboardModule {
  static forRoot(options: DashboardOptions): DynamicModule {
    return {
      module: DashboardModule,
      controllers: [DashboardController],
      providers: [{ provide: DASHBOARD_OPTIONS, useValue: options }, DashboardStateService],
    };
  }
}
