import { AggregatorRegistry, type Registry } from 'prom-client';

import type { MetricFamily } from './prometheus-text';

/** What prom-client's registry calls on a registered metric. */
interface ExposedMetric {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: unknown[] }>;
  reset(): void;
}

/**
 * Merges the metrics of all instances of each service with prom-client's `AggregatorRegistry`
 * (counters, gauges and histograms summed across instances; summaries dropped: they cannot be
 * merged) and exposes the result through the monitor's own registry, next to its own metrics.
 * Merged series keep their `service` label and get `instance="all"`.
 */
export class MergedMetrics {
  private merged = new Map<string, MetricFamily>();
  private readonly exposed = new Map<string, ExposedMetric>();

  constructor(private readonly registry: Registry) {}

  /** One list of families per instance, each tagged with its service. */
  async update(perInstance: { service: string; families: MetricFamily[] }[]): Promise<void> {
    const inputs = perInstance.map(({ service, families }) =>
      families
        .filter((f) => f.type !== 'summary')
        .map((f) => ({
          ...f,
          type: f.type === 'untyped' ? 'gauge' : f.type,
          values: f.values.map((v) => ({ ...v, labels: { ...v.labels, service, instance: 'all' } })),
        })),
    );
    // prom-client's aggregator takes getMetricsAsJSON() output; ours is that shape, parsed from text.
    const aggregated = AggregatorRegistry.aggregate(inputs as unknown as Parameters<typeof AggregatorRegistry.aggregate>[0]);
    const next = new Map<string, MetricFamily>();
    for (const m of (await aggregated.getMetricsAsJSON()) as unknown as MetricFamily[]) next.set(m.name, m);
    this.merged = next;
    for (const name of next.keys()) this.expose(name);
  }

  families(): MetricFamily[] {
    return [...this.merged.values()];
  }

  private expose(name: string): void {
    if (this.exposed.has(name)) return;
    const own = this.registry.getSingleMetric(name) as unknown as ExposedMetric | undefined;
    const family = () => this.merged.get(name);
    const first = family() as MetricFamily;
    if (own && own.type !== first.type) return; // same name, different meaning: keep ours only
    const proxy: ExposedMetric = {
      name,
      help: own?.help ?? first.help,
      type: own?.type ?? first.type,
      aggregator: 'sum',
      get: async () => {
        const ours = own ? await own.get() : undefined;
        const theirs = family()?.values ?? [];
        return { name, help: proxy.help, type: proxy.type, aggregator: 'sum', values: [...(ours?.values ?? []), ...theirs] };
      },
      reset: () => own?.reset(),
    };
    if (own) this.registry.removeSingleMetric(name);
    this.registry.registerMetric(proxy as unknown as Parameters<Registry['registerMetric']>[0]);
    this.exposed.set(name, proxy);
  }
}
