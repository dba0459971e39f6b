import { ResilienceRegistry } from '@cryptoscalp/circuit-breaker';
import { HealthRegistry, natsComponent } from '@cryptoscalp/health';
import { HeartbeatPublisher, NatsConnector } from '@cryptoscalp/messaging';
import { MetricsRegistry } from '@cryptoscalp/metrics';

import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

import { EventPublisher } from './event-publisher';

/**
 * Wires the shared pieces together once the app is up: the NATS health component, breaker
 * health and events, connection metrics, heartbeats (once listening). On shutdown it sends a last heartbeat and
 * drains NATS.
 */
@Injectable()
export class PlatformLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PlatformLifecycle.name);
  private stopped = false;

  constructor(
    private readonly nats: NatsConnector,
    private readonly health: HealthRegistry,
    private readonly heartbeat: HeartbeatPublisher,
    private readonly resilience: ResilienceRegistry,
    private readonly metrics: MetricsRegistry,
    private readonly events: EventPublisher,
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

    this.metrics.gauge('nats_unrecoverable', 'NATS connection lost and not rebuilt for too long (1): restart me', [], function () {
      this.set(nats.unrecoverable ? 1 : 0);
    });
    // A connection the client closed and the connector could not rebuild for a long time is a
    // state only a restart cures: liveness fails so the orchestrator restarts the process. A
    // plain NATS outage (reconnecting) stays a readiness matter.
    this.health.registerLiveness({
      name: 'nats-connection',
      check: () =>
        nats.unrecoverable
          ? { status: 'fail', measurement: 'recoverable', output: `NATS connection closed and not rebuilt: ${nats.error ?? 'unknown error'}` }
          : { status: 'pass', measurement: 'recoverable' },
    });
  }

  /**
   * Called by startService once the HTTP server listens (the heartbeat advertises the bound port).
   * The first heartbeat carries an evaluated status (not the initial `fail`); later beats
   * re-evaluate in the background.
   */
  startHeartbeats(): void {
    void this.health.evaluate().finally(() => {
      if (!this.stopped) this.heartbeat.start();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.heartbeat.stop();
    if (this.nats.state === 'connected') this.heartbeat.beat();
    await this.nats.close();
  }
}
