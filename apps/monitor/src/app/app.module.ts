import { PlatformModule } from '@cryptoscalp/platform';

import { type DynamicModule, Module } from '@nestjs/common';

import { DiscoveryModule } from './discovery/discovery.module';
import type { MonitorConfig } from './monitor.config';

export const SERVICE_NAME = 'monitor';

@Module({})
export class AppModule {
  static forRoot(config: MonitorConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ service: SERVICE_NAME, config }),
        DiscoveryModule.forRoot({ staleAfterMs: config.MONITOR_STALE_AFTER_MS, forgetAfterMs: config.MONITOR_FORGET_AFTER_MS }),
      ],
    };
  }
}
