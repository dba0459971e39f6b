import { ResilienceRegistry } from '@cryptoscalp/circuit-breaker';
import { HealthRegistry } from '@cryptoscalp/health';
import { MetricsRegistry } from '@cryptoscalp/metrics';
import { EventPublisher } from '@cryptoscalp/platform';

import { Injectable, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

import type { DbProxyConfig } from '../db-proxy.config';
import { DB_PROXY_CONFIG, SERVICE_NAME } from '../db-proxy.constants';
import { poolHealthComponent } from './pool-health';
import { PoolManager } from './pool-manager';
import { SchemaState } from './schema-state';

export function poolManagerFor(config: DbProxyConfig, resilience: ResilienceRegistry, metrics?: MetricsRegistry): PoolManager {
  const logger = new Logger(PoolManager.name);
  return new PoolManager(
    {
      urls: config.POSTGRES_NODES ?? [config.POSTGRES_URL],
      password: config.POSTGRES_PASSWORD,
      schema: config.POSTGRES_SCHEMA,
      applicationName: `${SERVICE_NAME}/${config.INSTANCE_ID}`,
      poolMax: config.POSTGRES_POOL_MAX,
      connectTimeoutMs: config.POSTGRES_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: config.POSTGRES_STATEMENT_TIMEOUT_MS,
      healthIntervalMs: config.POSTGRES_HEALTH_INTERVAL_MS,
      ejectAfter: config.POSTGRES_EJECT_AFTER,
      slowQueryMs: config.POSTGRES_SLOW_QUERY_MS,
      retryAttempts: config.POSTGRES_RETRY_ATTEMPTS,
    },
    resilience,
    { log: (m) => logger.log(m), warn: (m) => logger.warn(m) },
    metrics,
  );
}

/** Starts the probes, registers the `postgres` health component, announces failovers, closes the pools last. */
@Injectable()
export class PoolLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly pool: PoolManager,
    private readonly schema: SchemaState,
    private readonly health: HealthRegistry,
    private readonly events: EventPublisher,
  ) {}

  onApplicationBootstrap(): void {
    this.health.register(poolHealthComponent(this.pool, this.schema));
    this.pool.onPrimaryChange((next, previous) => {
      if (previous && next) this.events.publish('failover', 'warn', `Postgres primary moved from ${previous.name} to ${next.name}`, { from: previous.name, to: next.name });
      else if (!next) this.events.publish('failover', 'error', 'no Postgres primary: writes wait', { nodes: this.pool.status() });
    });
    this.pool.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.stop();
  }
}

/** The pool manager over every configured Postgres node (global: ingest, schema and queries use it). */
@Module({})
export class PoolModule {
  static forRoot(config: DbProxyConfig) {
    return {
      module: PoolModule,
      global: true,
      providers: [
        { provide: DB_PROXY_CONFIG, useValue: config },
        {
          provide: PoolManager,
          inject: [ResilienceRegistry, MetricsRegistry],
          useFactory: (resilience: ResilienceRegistry, metrics: MetricsRegistry) => poolManagerFor(config, resilience, metrics),
        },
        SchemaState,
        PoolLifecycle,
      ],
      exports: [DB_PROXY_CONFIG, PoolManager, SchemaState],
    };
  }
}

