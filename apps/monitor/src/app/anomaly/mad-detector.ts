export interface MadOptions {
  /** Samples kept (a sliding window). */
  window: number;
  /** A sample more than k scaled MADs above the median is an anomaly. */
  k: number;
  /** Samples before the detector may fire. */
  warmup: number;
  /** Smallest scaled MAD used (same unit as the samples): perfectly steady latencies have MAD 0. */
  minMad?: number;
}

export interface MadResult {
  anomalous: boolean;
  score: number;
  median: number;
  mad: number;
}

function median(sorted: number[]): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const mid = n >> 1;
  return n % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Median absolute deviation over a sliding window: robust to the outliers it is looking for
 * (latency spikes do not inflate the band the way they inflate a standard deviation). Only high
 * values are anomalies (latency falling is good news). Scaled by 1.4826 (consistent with σ).
 */
export class MadDetector {
  private readonly samples: number[] = [];

  constructor(private readonly options: MadOptions) {}

  observe(x: number): MadResult {
    const sorted = [...this.samples].sort((a, b) => a - b);
    const m = median(sorted);
    const mad = 1.4826 * median(sorted.map((v) => Math.abs(v - m)).sort((a, b) => a - b));
    const scale = Math.max(mad, this.options.minMad ?? 1);
    const score = sorted.length ? (x - m) / scale : 0;
    const result = { anomalous: this.samples.length >= this.options.warmup && score > this.options.k, score, median: m, mad };
    this.samples.push(x);
    if (this.samples.length > this.options.window) this.samples.shift();
    return result;
  }
}
