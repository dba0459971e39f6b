import { type DynamicModule, Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';

import { HealthController } from './health.controller';
import { HEALTH_MODULE_OPTIONS, type HealthModuleOptions } from './health.types';
import { HealthRegistry } from './health-registry';
import { EventLoopProbe } from './liveness';

@Module({})
export class HealthModule implements OnModuleInit, OnModuleDestroy {
  constructor(private readonly eventLoop: EventLoopProbe) {}

  static forRoot(options: HealthModuleOptions): DynamicModule {
    return {
      module: HealthModule,
      global: true,
      // Terminus evaluates the indicators; it logs nothing itself (our body carries the reasons).
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [
        { provide: HEALTH_MODULE_OPTIONS, useValue: options },
        { provide: EventLoopProbe, useFactory: () => new EventLoopProbe() },
        HealthRegistry,
      ],
      exports: [HealthRegistry, EventLoopProbe],
    };
  }

  onModuleInit(): void {
    this.eventLoop.start();
  }

  onModuleDestroy(): void {
    this.eventLoop.stop();
  }
}
