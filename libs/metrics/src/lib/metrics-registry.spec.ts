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

  it('tells a 30 µs read from a 0.8 ms one and a 7 s stall from a 0.3 s one (the latency targets we report)', async () => {
    const m = new MetricsRegistry({ service: 's', instance: 'i', defaultMetrics: false });
    // One histogram per case (the text parser does not keep labels of histogram series).
    for (const [path, seconds] of [
      ['near', 0.00003],
      ['redis', 0.0008],
      ['slow', 0.3],
      ['stall', 7],
    ] as const) {
      m.histogram(`read_${path}_seconds`, 'read latency').observe(seconds);
    }
    const families = parsePrometheusText(await m.exposition());
    // The smallest bucket that counts each observation, read from the exposition text.
    const firstBucket = (path: string) => {
      const buckets = families.find((f) => f.name === `cs_read_${path}_seconds`)?.metrics[0]?.buckets ?? {};
      const counting = Object.entries(buckets)
        .filter(([, count]) => Number(count) > 0)
        .map(([le]) => (le === '+Inf' ? Infinity : Number(le)));
      return Math.min(...counting);
    };
    expect(firstBucket('near')).toBeLessThanOrEqual(0.00005);
    expect(firstBucket('redis')).toBeGreaterThan(0.00005);
    expect(firstBucket('redis')).toBeLessThanOrEqual(0.001);
    expect(firstBucket('slow')).toBeLessThanOrEqual(0.5);
    expect(firstBucket('stall')).toBeGreaterThan(5);
    expect(firstBucket('stall')).toBeLessThan(Infinity);
  });
});
