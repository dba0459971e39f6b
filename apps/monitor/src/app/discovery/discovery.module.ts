import { type DynamicModule, Module } from '@nestjs/common';

import { DISCOVERY_OPTIONS, type DiscoveryOptions } from './discovery.constants';
import { DiscoveryService } from './discovery.service';

@Module({})
export class DiscoveryModule {
  static forRoot(options: DiscoveryOptions): DynamicModule {
    return {
      module: DiscoveryModule,
      global: true,
      providers: [{ provide: DISCOVERY_OPTIONS, useValue: options }, DiscoveryService],
      exports: [DiscoveryService],
    };
  }
}
