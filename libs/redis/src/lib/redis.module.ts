import { HealthRegistry, redisComponent } from '@cryptoscalp/health';

import { type DynamicModule, Inject, Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';

import { createRedisClient } from './redis.factory';
import { REDIS_CLIENT, type RedisConfig } from './redis.types';

/** Registers the `redis` health component and closes the client on shutdown. */
@Injectable()
export class RedisLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly health: HealthRegistry,
  ) {}

  onApplicationBootstrap(): void {
    this.health.register(redisComponent(this.redis));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * The service's Redis client (ioredis, key prefix, reconnects forever, fails fast while down),
 * injectable with REDIS_CLIENT, with its readiness component. Only services that use Redis
 * import it, so only their images carry the client.
 */
@Module({})
export class RedisModule {
  static forRoot(config: RedisConfig, connectionName: string): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      providers: [{ provide: REDIS_CLIENT, useFactory: () => createRedisClient(config, connectionName) }, RedisLifecycle],
      exports: [REDIS_CLIENT],
    };
  }
}
