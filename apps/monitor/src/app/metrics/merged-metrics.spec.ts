import { Counter, Registry } from 'prom-client';

import { MergedMetrics } from './merged-metrics';
import { parsePrometheusText } from './prometheus-text';

// Two instances of one service, as their /metrics would read (prom-client text format).
const instance = (id: string, requests: number, fast: number, total: number) => `# HELP cs_requests_total Requests
# TYPE cs_requests_total counter
cs_requests_total{route="/a",service="cache-service",instance="${id}"} ${requests}
# HELP cs_latency_seconds Latency
# TYPE cs_latency_seconds histogram
cs_latency_seconds_bucket{le="0.1",service="cache-service",instance="${id}"} ${fast}
cs_latency_seconds_bucket{le="+Inf",service="cache-service",instance="${id}"} ${total}
cs_latency_seconds_sum{service="cache-service",instance="${id}"} 2.5
cs_latency_seconds_count{service="cache-service",instance="${id}"} ${total}
# HELP cs_gc_summary A summary
# TYPE cs_gc_summary summary
cs_gc_summary{quantile="0.5",service="cache-service",instance="${id}"} 0.01
cs_gc_summary_sum{service="cache-service",instance="${id}"} 1
cs_gc_summary_count{service="cache-service",instance="${id}"} 3
`;

describe('Prometheus text parsing and the merged /metrics', () => {
  it('parses families with histogram samples, labels with escapes, and counts unparsable lines', () => {
    const { families, invalid } = parsePrometheusText(`${instance('c1', 5, 1, 2)}weird{a="b" 1\nx_total{msg="say \\"hi\\"\\n"} 2\n`);
    expect(invalid).toBe(1);
    const hist = families.find((f) => f.name === 'cs_latency_seconds');
    expect(hist?.type).toBe('histogram');
    expect(hist?.values.map((v) => v.metricName)).toEqual(['cs_latency_seconds_bucket', 'cs_latency_seconds_bucket', 'cs_latency_seconds_sum', 'cs_latency_seconds_count']);
    expect(hist?.values[1]).toMatchObject({ labels: { le: '+Inf' }, value: 2 });
    expect(families.find((f) => f.name === 'x_total')?.values[0]?.labels).toEqual({ msg: 'say "hi"\n' });
  });

  it('sums counters and histograms across the instances of a service, drops summaries, keeps the own metrics', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ service: 'monitor', instance: 'm1' });
    const own = new Counter({ name: 'cs_requests_total', help: 'Requests', labelNames: ['route'], registers: [registry] });
    own.inc({ route: '/api' }, 7);
    const merged = new MergedMetrics(registry);
    await merged.update([
      { service: 'cache-service', families: parsePrometheusText(instance('c1', 5, 1, 2)).families },
      { service: 'cache-service', families: parsePrometheusText(instance('c2', 10, 3, 4)).families },
    ]);
    const text = await registry.metrics();
    expect(text).toContain('cs_requests_total{route="/api",service="monitor",instance="m1"} 7');
    expect(text).toContain('cs_requests_total{route="/a",service="cache-service",instance="all"} 15');
    expect(text).toContain('cs_latency_seconds_bucket{le="0.1",service="cache-service",instance="all"} 4');
    expect(text).toContain('cs_latency_seconds_bucket{le="+Inf",service="cache-service",instance="all"} 6');
    expect(text).toContain('cs_latency_seconds_sum{service="cache-service",instance="all"} 5');
    expect(text).not.toContain('cs_gc_summary');
    // Our own counter keeps working behind the merge.
    own.inc({ route: '/api' });
    expect(await registry.metrics()).toContain('cs_requests_total{route="/api",service="monitor",instance="m1"} 8');
  });
});
