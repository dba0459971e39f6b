import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';

import { ResilienceRegistry } from '@cryptoscalp/circuit-breaker';
import { HealthRegistry, natsComponent, postgresComponent, redisComponent } from '@cryptoscalp/health';
import { HeartbeatPublisher, NatsConnector } from '@cryptoscalp/messaging';
import { MetricsRegistry } from '@cryptoscalp/metrics';

import { EventPublisher } from './event-publisher';
import { PLATFORM_OPTIONS, REDIS_CLIENT } from './platform.constants';
import { PostgresConnector } from './postgres.connector';
import type { PlatformOptions, PostgresConfig } from './platform.types';

/**
 * Wires the shared pieces together once the app is up: health components for every
 * dependency, breaker health and events, connection metrics, heartbeats. On shutdown it closes
 * what it opened, NATS last (so the final heartbeat and events still go out).
 */
@Injectable()
export class PlatformLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PlatformLifecycle.name);
  private postgres: PostgresConnector | undefined;

  constructor(
    @Inject(PLATFORM_OPTIONS) private readonly options: PlatformOptions,
    private readonly nats: NatsConnector,
    private readonly health: HealthRegistry,
    private readonly heartbeat: HeartbeatPublisher,
    private readonly resilience: ResilienceRegistry,
    private readonly metrics: MetricsRegistry,
    private readonly events: EventPublisher,
    @Optional() @Inject(REDIS_CLIENT) private readonly redis?: Redis,
    @Optional() @Inject(getDataSourceToken()) private readonly dataSource?: DataSource,
  ) {}

  onApplicationBootstrap(): void {
    this.health.register(natsComponent(this.nats));
    const nats = this.nats;
    this.metrics.gauge('nats_connected', 'NATS connection is up (1) or not (0)', [], function () {
      this.set(nats.state === 'connected' ? 1 : 0);
    });
    this.metrics.gauge('nats_reconnects', 'NATS reconnects since start', [], function () {
      this.set(nats.reconnects);
    });

    if (this.redis) this.health.register(redisComponent(this.redis));
    if (this.dataSource) {
      const config = this.options.config as unknown as PostgresConfig;
      this.postgres = new PostgresConnector(this.dataSource, config.POSTGRES_SCHEMA);
      const connector = this.postgres;
      this.health.register(postgresComponent(this.dataSource, { lastError: () => connector.lastError }));
      this.postgres.start();
    }

    // Every breaker shows up as a component; an open critical breaker makes the service unready.
    this.health.register({
      name: 'breakers',
      critical: true,
      check: () => {
        const policies = this.resilience.list().filter((p) => p.options.breaker);
        const bad = policies.filter((p) => p.health() !== 'pass');
        const status = bad.some((p) => p.health() === 'fail') ? 'fail' : bad.length ? 'warn' : 'pass';
        return {
          status,
          measurement: 'open',
          observedValue: bad.length,
          observedUnit: 'breakers',
          componentType: 'component',
          ...(bad.length ? { output: bad.map((p) => `${p.name} ${p.state}`).join(', ') } : {}),
        };
      },
    });
    this.resilience.onTransition((t) => {
      this.logger.warn(`circuit breaker ${t.name} is now ${t.state}`);
      this.events.publish('breaker', t.state === 'closed' ? 'info' : 'warn', `circuit breaker ${t.name} ${t.state}`, { ...t });
    });

    // Keep the cached status fresh for heartbeats without tying them to HTTP traffic.
    void this.health.evaluate();
    this.heartbeat.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.heartbeat.stop();
    if (this.nats.state === 'connected') this.heartbeat.beat();
    await this.postgres?.stop().catch((err: Error) => this.logger.warn(`Postgres close: ${err.message}`));
    if (this.redis) await this.redis.quit().catch(() => this.redis?.disconnect());
    await this.nats.close();
  }
}
