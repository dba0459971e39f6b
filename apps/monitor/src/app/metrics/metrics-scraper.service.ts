import { MetricsRegistry } from '@cryptoscalp/metrics';

import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

import { DiscoveryService } from '../discovery/discovery.service';
import { MergedMetrics } from './merged-metrics';
import { MetricStore } from './metric-store';
import { METRICS_SCRAPE_OPTIONS, type MetricsScrapeOptions } from './metrics.constants';
import { parsePrometheusText } from './prometheus-text';

/** Scrapes `<healthUrl>/metrics` of every instance, keeps the recent scrapes for rules, merges them into /metrics. */
@Injectable()
export class MetricsScraperService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsScraperService.name);
  readonly store = new MetricStore();
  private readonly merged: MergedMetrics;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly scrapes;

  constructor(
    private readonly discovery: DiscoveryService,
    metrics: MetricsRegistry,
    @Inject(METRICS_SCRAPE_OPTIONS) private readonly options: MetricsScrapeOptions,
  ) {
    this.merged = new MergedMetrics(metrics.registry);
    this.scrapes = metrics.counter('monitor_scrapes_total', 'Metric scrapes of instances by outcome', ['outcome']);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.scrapeAll(), this.options.intervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async scrapeAll(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const instances = this.discovery.instances().filter((i) => i.key !== this.options.selfKey && !i.stopping);
      const live = new Set(instances.map((i) => i.key));
      for (const { instanceKey } of this.store.latest()) if (!live.has(instanceKey)) this.store.forget(instanceKey);
      await Promise.all(
        instances.map(async (i) => {
          try {
            const res = await fetch(`${i.healthUrl}/metrics`, { signal: AbortSignal.timeout(this.options.timeoutMs) });
            if (!res.ok) throw new Error(`answered ${res.status}`);
            const { families, invalid } = parsePrometheusText(await res.text());
            this.store.record(i.key, i.service, families);
            this.scrapes.inc({ outcome: invalid ? 'partial' : 'ok' });
          } catch (err) {
            this.scrapes.inc({ outcome: 'error' });
            this.logger.debug(`scrape of ${i.key} failed: ${(err as Error).message}`);
          }
        }),
      );
      await this.merged.update(this.store.latest());
    } finally {
      this.running = false;
    }
  }
}
