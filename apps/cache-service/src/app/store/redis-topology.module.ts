import { Backoff } from '@cryptoscalp/circuit-breaker';
import { HealthRegistry, redisComponent } from '@cryptoscalp/health';
import { REDIS_CLIENT } from '@cryptoscalp/redis';

import {
  type DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import Redis, { Cluster } from 'ioredis';

import type { CacheConfig } from '../cache-service.config';
import type { RedisClient } from './redis-store';

type TopologyConfig = Pick<
  CacheConfig,
  'REDIS_MODE' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_NAME' | 'REDIS_CLUSTER_NODES' | 'REDIS_PASSWORD' | 'REDIS_KEY_PREFIX'
>;

/**
 * A Sentinel- or Cluster-backed client with the same behaviour as @cryptoscalp/redis's standalone
 * client: key prefix, no offline queue (fail fast while down), reconnect forever with capped backoff.
 */
export function createTopologyClient(config: TopologyConfig, name: string): RedisClient {
  const logger = new Logger('Redis');
  const backoff = new Backoff({ initialDelayMs: 100, maxDelayMs: 3000 });
  const common = {
    password: config.REDIS_PASSWORD,
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 3000,
  };
  let client: RedisClient;
  if (config.REDIS_MODE === 'cluster') {
    if (config.REDIS_CLUSTER_NODES.length === 0)
      throw new Error('REDIS_CLUSTER_NODES: expected at least one host:port with REDIS_MODE=cluster');
    client = new Cluster(config.REDIS_CLUSTER_NODES, {
      keyPrefix: config.REDIS_KEY_PREFIX,
      enableOfflineQueue: false,
      clusterRetryStrategy: () => backoff.next(),
      redisOptions: common,
    });
  } else {
    if (config.REDIS_SENTINELS.length === 0) throw new Error('REDIS_SENTINELS: expected at least one host:port with REDIS_MODE=sentinel');
    client = new Redis({
      ...common,
      keyPrefix: config.REDIS_KEY_PREFIX,
      sentinels: config.REDIS_SENTINELS,
      name: config.REDIS_SENTINEL_NAME,
      retryStrategy: () => backoff.next(),
    });
  }
  let lastLogged = 0;
  client.on('error', (err: Error) => {
    if (Date.now() - lastLogged > 10_000) {
      lastLogged = Date.now();
      logger.warn(`Redis (${config.REDIS_MODE}): ${err.message}`);
    }
  });
  client.on('ready', () => {
    backoff.reset();
    logger.log(`Redis (${config.REDIS_MODE}) ready`);
  });
  return client;
}

@Injectable()
class TopologyLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly health: HealthRegistry,
  ) {}

  onApplicationBootstrap(): void {
    this.health.register(redisComponent(this.redis));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** REDIS_CLIENT for REDIS_MODE=sentinel|cluster (standalone uses @cryptoscalp/redis's RedisModule). */
@Module({})
export class RedisTopologyModule {
  static forRoot(config: TopologyConfig, connectionName: string): DynamicModule {
    return {
      module: RedisTopologyModule,
      global: true,
      providers: [{ provide: REDIS_CLIENT, useFactory: () => createTopologyClient(config, connectionName) }, TopologyLifecycle],
      exports: [REDIS_CLIENT],
    };
  }
}
