import { MetricsRegistry } from '@cryptoscalp/metrics';

import { BrokenCircuitError, BulkheadRejectedError, TaskCancelledError } from 'cockatiel';

import { ResilienceRegistry } from './resilience-registry';

const fail = () => Promise.reject(new Error('boom'));
const ok = () => Promise.resolve('ok');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('resilience policies', () => {
  let metrics: MetricsRegistry;
  let registry: ResilienceRegistry;

  beforeEach(() => {
    metrics = new MetricsRegistry({ service: 'spec', instance: 'i1', defaultMetrics: false });
    registry = new ResilienceRegistry(metrics);
  });

  it('opens after N consecutive failures, half-opens after the delay, closes on a successful probe', async () => {
    const transitions: string[] = [];
    registry.onTransition((t) => transitions.push(t.state));
    const p = registry.create('db-write', { breaker: { window: { kind: 'consecutive', failures: 3 }, halfOpenAfterMs: 100 } });
    for (let i = 0; i < 3; i++) await expect(p.execute(fail)).rejects.toThrow('boom');
    expect(p.state).toBe('open');
    expect(p.health()).toBe('warn');
    await expect(p.execute(ok)).rejects.toBeInstanceOf(BrokenCircuitError);
    await sleep(130);
    // cockatiel moves to half-open when the next call arrives after the delay: that call is the probe.
    await expect(p.execute(ok)).resolves.toBe('ok');
    expect(p.state).toBe('closed');
    expect(transitions).toEqual(['open', 'half-open', 'closed']);
  });

  it('re-opens when the half-open probe fails', async () => {
    const p = registry.create('probe', { breaker: { window: { kind: 'consecutive', failures: 1 }, halfOpenAfterMs: 50 } });
    await expect(p.execute(fail)).rejects.toThrow();
    await sleep(70);
    await expect(p.execute(fail)).rejects.toThrow('boom');
    expect(p.state).toBe('open');
  });

  it('opens on the failure ratio of a count window once enough calls were seen', async () => {
    const p = registry.create('ratio', {
      breaker: { window: { kind: 'count', size: 10, threshold: 0.5, minimumCalls: 6 }, halfOpenAfterMs: 1000 },
    });
    for (const f of [ok, fail, ok, fail, fail]) await p.execute(f).catch(() => undefined);
    expect(p.state).toBe('closed'); // 3 of 5: below the minimum number of calls
    await p.execute(fail).catch(() => undefined); // 4 of 6 failed > 0.5
    expect(p.state).toBe('open');
  });

  it('opens on a sampling (time) window', async () => {
    const p = registry.create('sampling', {
      breaker: { window: { kind: 'sampling', durationMs: 1000, threshold: 0.5, minimumRps: 1 }, halfOpenAfterMs: 1000 },
    });
    for (let i = 0; i < 10; i++) await p.execute(fail).catch(() => undefined);
    expect(p.state).toBe('open');
  });

  it('a critical open breaker reports fail', async () => {
    const p = registry.create('critical', {
      breaker: { window: { kind: 'consecutive', failures: 1 }, halfOpenAfterMs: 10_000, critical: true },
    });
    await p.execute(fail).catch(() => undefined);
    expect(p.health()).toBe('fail');
  });

  it('retries with capped backoff until success', async () => {
    // Jitter pinned to its median so the waits are reproducible: uncapped, the 3rd and 4th waits
    // would be about 200 ms and 380 ms; capped at 150 ms they are not. Waits measured from the
    // outside (call start times), with margins for a busy machine.
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.5);
    try {
      const p = registry.create('retry', { retry: { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 150 } });
      const starts: number[] = [];
      const result = await p.execute(async () => {
        starts.push(Date.now());
        if (starts.length < 5) throw new Error('transient');
        return starts.length;
      });
      expect(result).toBe(5);
      const waits = starts.slice(1).map((t, i) => t - (starts[i] as number));
      for (const wait of waits) {
        expect(wait).toBeGreaterThanOrEqual(50); // it did back off
        expect(wait).toBeLessThan(150 + 120); // never beyond the cap (+ scheduling margin)
      }
    } finally {
      random.mockRestore();
    }
  });

  it('stops retrying once the breaker is open', async () => {
    const p = registry.create('retry-breaker', {
      retry: { maxAttempts: 10, initialDelayMs: 1, maxDelayMs: 2 },
      breaker: { window: { kind: 'consecutive', failures: 2 }, halfOpenAfterMs: 10_000 },
    });
    let calls = 0;
    await expect(
      p.execute(async () => {
        calls++;
        throw new Error('down');
      }),
    ).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(calls).toBe(2);
  });

  it('times out slow calls and aborts their signal', async () => {
    const p = registry.create('timeout', { timeoutMs: 30 });
    let aborted = false;
    await expect(
      p.execute(
        (signal) =>
          new Promise((resolve) => {
            signal.addEventListener('abort', () => (aborted = true));
            setTimeout(resolve, 500);
          }),
      ),
    ).rejects.toBeInstanceOf(TaskCancelledError);
    expect(aborted).toBe(true);
  });

  it('rejects calls beyond the bulkhead', async () => {
    const p = registry.create('bulkhead', { bulkhead: { limit: 1, queue: 0 } });
    const first = p.execute(() => sleep(50));
    await expect(p.execute(ok)).rejects.toBeInstanceOf(BulkheadRejectedError);
    await first;
  });

  it('refuses duplicate names and exports breaker state as a metric', async () => {
    const p = registry.create('exported', { breaker: { window: { kind: 'consecutive', failures: 1 }, halfOpenAfterMs: 10_000 } });
    expect(() => registry.create('exported', {})).toThrow(/already exists/);
    await p.execute(fail).catch(() => undefined);
    const text = await metrics.exposition();
    expect(text).toContain('cs_circuit_breaker_state{breaker="exported",service="spec",instance="i1"} 2');
    expect(text).toContain('cs_circuit_breaker_transitions_total{breaker="exported",state="open",service="spec",instance="i1"} 1');
    const release = p.isolate();
    expect(p.state).toBe('isolated');
    release();
  });
});
