import { type HealthStatus, NatsConnector } from '@cryptoscalp/messaging';
import { MetricsRegistry } from '@cryptoscalp/metrics';

import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

import { DiscoveryService } from '../discovery/discovery.service';
import type { Observation } from '../polling/health-probe';
import { AGGREGATION_OPTIONS, type AggregationOptions } from './aggregation.constants';
import type { HealthSnapshot } from './health.types';
import { HealthAggregator } from './health-aggregator';

export type SnapshotListener = (snapshot: HealthSnapshot) => void | Promise<void>;

/**
 * Holds the current aggregate. Polls arrive through `observe`; every `evalIntervalMs` the snapshot
 * is rebuilt and handed to the listeners (alerting, history, live dashboard) in order.
 */
@Injectable()
export class AggregationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AggregationService.name);
  private readonly aggregator: HealthAggregator;
  private readonly listeners: { name: string; fn: SnapshotListener }[] = [];
  private current: HealthSnapshot = { time: Date.now(), status: 'pass', services: [], instances: [], rootCauses: [] };
  private timer: NodeJS.Timeout | undefined;
  private natsDownSince: number | undefined;
  private running = false;
  /** Completed evaluations (tests and the dashboard use it as a clock). */
  evaluations = 0;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly nats: NatsConnector,
    metrics: MetricsRegistry,
    @Inject(AGGREGATION_OPTIONS) private readonly options: AggregationOptions,
  ) {
    this.aggregator = new HealthAggregator(options, options.startupGraceMs);
    const current = () => this.current;
    metrics.gauge('monitor_service_status', 'Aggregated status per service (0 pass, 1 warn, 2 fail)', ['monitored_service'], function () {
      this.reset();
      for (const s of current().services) this.set({ monitored_service: s.name }, s.status === 'pass' ? 0 : s.status === 'warn' ? 1 : 2);
    });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.evaluate(), this.options.evalIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Called in order after each evaluation. */
  onSnapshot(name: string, fn: SnapshotListener): void {
    this.listeners.push({ name, fn });
  }

  observe(key: string, obs: Observation, initial?: HealthStatus): void {
    this.aggregator.observe(key, obs, obs.time, initial);
  }

  lastObservation(key: string): Observation | undefined {
    return this.aggregator.lastObservation(key);
  }

  snapshot(): HealthSnapshot {
    return this.current;
  }

  /** Rebuilds the snapshot now and runs the listeners (also called by the timer). */
  async evaluate(now = Date.now()): Promise<HealthSnapshot> {
    if (this.running) return this.current;
    this.running = true;
    try {
      this.current = this.aggregator.snapshot(this.discovery.instances(), this.monitorSees(now), now);
      for (const l of this.listeners) {
        try {
          await l.fn(this.current);
        } catch (err) {
          this.logger.error(`${l.name} failed on a snapshot: ${(err as Error).stack ?? err}`);
        }
      }
      this.evaluations++;
      return this.current;
    } finally {
      this.running = false;
    }
  }

  /** What the monitor sees itself: its own NATS connection down for longer than the damping allows. */
  private monitorSees(now: number): { dependency: string; output: string }[] {
    if (this.nats.state === 'connected') {
      this.natsDownSince = undefined;
      return [];
    }
    this.natsDownSince ??= now;
    if (now - this.natsDownSince < this.options.pollIntervalMs * this.options.failAfter) return [];
    return [{ dependency: 'nats', output: `the monitor's own NATS connection is ${this.nats.state}${this.nats.error ? `: ${this.nats.error}` : ''}` }];
  }
}
