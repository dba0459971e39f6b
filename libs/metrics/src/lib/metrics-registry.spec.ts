import { parsePrometheusText } from '@cryptoscalp/testing';

import { LATENCY_BUCKETS_SECONDS, MetricsRegistry } from './metrics-registry';

describe('MetricsRegistry', () => {
  it('labels every series with service and instance and includes Node defaults', async () => {
    const m = new MetricsRegistry({ service: 'cache-service', instance: 'c1' });
    const families = parsePrometheusText(await m.exposition());
    const lag = families.find((f) => f.name === 'cs_nodejs_eventloop_lag_seconds');
    expect(lag?.metrics[0]?.labels).toEqual({ service: 'cache-service', instance: 'c1' });
    expect(m.contentType).toContain('text/plain');
  });

  it('declares metrics idempotently and renders parseable histograms', async () => {
    const m = new MetricsRegistry({ service: 's', instance: 'i', defaultMetrics: false });
    const h = m.histogram('op_seconds', 'op latency', ['op']);
    expect(m.histogram('op_seconds', 'op latency', ['op'])).toBe(h);
    const stop = MetricsRegistry.timer(h, { op: 'get' });
    expect(stop()).toBeGreaterThanOrEqual(0);
    m.counter('things_total', 'things', ['kind']).inc({ kind: 'a' }, 3);
    const families = parsePrometheusText(await m.exposition());
    const hist = families.find((f) => f.name === 'cs_op_seconds');
    expect(hist?.type).toBe('HISTOGRAM');
    expect(Object.keys(hist?.metrics[0]?.buckets ?? {})).toHaveLength(LATENCY_BUCKETS_SECONDS.length + 1);
    expect(families.find((f) => f.name === 'cs_things_total')?.metrics[0]).toMatchObject({
      value: '3',
      labels: { kind: 'a', service: 's', instance: 'i' },
    });
  });

  it('latency buckets are sorted and span 50 µs to 10 s', () => {
    expect([...LATENCY_BUCKETS_SECONDS].sort((a, b) => a - b)).toEqual(LATENCY_BUCKETS_SECONDS);
    expect(LATENCY_BUCKETS_SECONDS[0]).toBe(0.00005);
    expect(LATENCY_BUCKETS_SECONDS.at(-1)).toBe(10);
  });
});
