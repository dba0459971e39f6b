import { MetricsRegistry } from '@cryptoscalp/metrics';

import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

import { AGGREGATION_OPTIONS, type AggregationOptions } from '../aggregation/aggregation.constants';
import { AggregationService } from '../aggregation/aggregation.service';
import { DiscoveryService } from '../discovery/discovery.service';
import { probeHealth } from './health-probe';

/**
 * Polls `/health/readiness` and `/health/components` of every known instance every
 * `pollIntervalMs` (one request pair in flight per instance; a slow one never delays the others).
 */
@Injectable()
export class PollerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<string>();
  private readonly polls;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly aggregation: AggregationService,
    metrics: MetricsRegistry,
    @Inject(AGGREGATION_OPTIONS) private readonly options: AggregationOptions,
  ) {
    this.polls = metrics.counter('monitor_polls_total', 'Health polls by outcome', ['outcome']);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.round(), this.options.pollIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One poll of every instance not already being polled. */
  round(): void {
    for (const inst of this.discovery.instances()) {
      // A stopping instance is left alone: a poll every few seconds on a keep-alive connection
      // would keep its HTTP server from closing. It is forgotten once its heartbeats stop.
      if (inst.stopping || this.inFlight.has(inst.key)) continue;
      this.inFlight.add(inst.key);
      void probeHealth(inst.healthUrl, this.options.pollTimeoutMs)
        .then((obs) => {
          this.polls.inc({ outcome: obs.reachable ? obs.status : 'unreachable' });
          if (obs.draining) this.discovery.markStopping(inst.key);
          if (obs.draining) return;
          this.aggregation.observe(inst.key, obs, inst.source === 'heartbeat' ? inst.reportedStatus : undefined);
        })
        .finally(() => this.inFlight.delete(inst.key));
    }
  }
}
