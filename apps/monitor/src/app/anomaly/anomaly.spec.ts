import { EwmaDetector } from './ewma-detector';
import { MadDetector } from './mad-detector';

// A deterministic noisy series (linear congruential generator): independent of the detectors.
function noise(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31 - 0.5;
  };
}

describe('EwmaDetector (message rates)', () => {
  it('stays quiet on a noisy steady rate, fires on a drop to a third, and not during warm-up', () => {
    const d = new EwmaDetector({ alpha: 0.1, z: 4, warmup: 20 });
    const rand = noise(7);
    const early = d.observe(1); // first sample: nothing to compare with
    expect(early.anomalous).toBe(false);
    const flags = Array.from({ length: 200 }, () => d.observe(100 + rand() * 10).anomalous);
    expect(flags.filter(Boolean)).toEqual([]);
    const drop = d.observe(33);
    expect(drop.anomalous).toBe(true);
    expect(drop.z).toBeLessThan(-4);
    expect(drop.mean).toBeGreaterThan(95);
  });
});

describe('MadDetector (latency)', () => {
  it('ignores jitter, flags a spike far above the median, and is not fooled by the spikes it saw', () => {
    const d = new MadDetector({ window: 50, k: 6, warmup: 10, minMad: 0.1 });
    const rand = noise(3);
    const flags = Array.from({ length: 100 }, () => d.observe(5 + rand()).anomalous);
    expect(flags.filter(Boolean)).toEqual([]);
    const spike = d.observe(40);
    expect(spike.anomalous).toBe(true);
    expect(spike.median).toBeCloseTo(5, 0);
    // A few spikes barely move a median: the next one is still anomalous.
    d.observe(41);
    d.observe(39);
    expect(d.observe(42).anomalous).toBe(true);
    // Latency falling is not an anomaly.
    expect(d.observe(0.5).anomalous).toBe(false);
  });
});
