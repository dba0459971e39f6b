import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds. From 50 µs (near-cache hits) to 10 s (cold REST snapshots). */
export const LATENCY_BUCKETS_SECONDS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Seconds. For end-to-end market-data latency (exchange event → publish), 100 µs to 30 s. */
export const PIPELINE_BUCKETS_SECONDS = [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 30];

export interface MetricsOptions {
  service: string;
  instance: string;
  /** Metric name prefix; `cs_` by default. */
  prefix?: string;
  /** Collect Node default metrics (event loop lag, GC, heap). */
  defaultMetrics?: boolean;
}

/**
 * One prom-client registry per service instance with `service`/`instance` labels on every
 * series. Get-or-create helpers make metric declaration idempotent (safe across modules and tests).
 */
export class MetricsRegistry {
  readonly registry = new Registry();
  readonly prefix: string;

  constructor(readonly options: MetricsOptions) {
    this.prefix = options.prefix ?? 'cs_';
    this.registry.setDefaultLabels({ service: options.service, instance: options.instance });
    if (options.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry, prefix: this.prefix });
    }
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    const full = this.prefix + name;
    return (
      (this.registry.getSingleMetric(full) as Counter<L> | undefined) ??
      new Counter({ name: full, help, labelNames, registers: [this.registry] })
    );
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = [], collect?: (this: Gauge<L>) => void): Gauge<L> {
    const full = this.prefix + name;
    return (
      (this.registry.getSingleMetric(full) as Gauge<L> | undefined) ??
      new Gauge({ name: full, help, labelNames, registers: [this.registry], ...(collect ? { collect } : {}) })
    );
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[] = [], buckets = LATENCY_BUCKETS_SECONDS): Histogram<L> {
    const full = this.prefix + name;
    return (
      (this.registry.getSingleMetric(full) as Histogram<L> | undefined) ??
      new Histogram({ name: full, help, labelNames, buckets, registers: [this.registry] })
    );
  }

  /** Prometheus text exposition format. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Starts a timer; the returned function records elapsed seconds into the histogram. */
  static timer(histogram: Histogram<string>, labels: Record<string, string> = {}): () => number {
    const start = process.hrtime.bigint();
    return () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      histogram.observe(labels, seconds);
      return seconds;
    };
  }
}
