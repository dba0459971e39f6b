export interface EwmaOptions {
  /** Weight of the newest sample (0 < alpha < 1). */
  alpha: number;
  /** |z| above this is an anomaly. */
  z: number;
  /** Samples before the detector may fire. */
  warmup: number;
  /** Smallest standard deviation used, as a fraction of the mean (steady synthetic rates have ~0). */
  minRelativeSd?: number;
  /** Smallest standard deviation used, absolute. */
  minSd?: number;
}

export interface EwmaResult {
  anomalous: boolean;
  z: number;
  mean: number;
  sd: number;
  samples: number;
}

/**
 * Exponentially weighted mean and variance of a rate; a sample outside mean ± z·sd is an anomaly.
 * Scores against the band built from earlier samples, then learns the sample.
 */
export class EwmaDetector {
  private mean = 0;
  private variance = 0;
  private n = 0;

  constructor(private readonly options: EwmaOptions) {}

  observe(x: number): EwmaResult {
    const { alpha, z: limit, warmup } = this.options;
    let result: EwmaResult;
    if (this.n === 0) {
      this.mean = x;
      this.variance = 0;
      result = { anomalous: false, z: 0, mean: x, sd: 0, samples: 1 };
    } else {
      const sd = Math.max(Math.sqrt(this.variance), Math.abs(this.mean) * (this.options.minRelativeSd ?? 0.05), this.options.minSd ?? 0.5);
      const z = (x - this.mean) / sd;
      result = { anomalous: this.n >= warmup && Math.abs(z) > limit, z, mean: this.mean, sd, samples: this.n + 1 };
      const diff = x - this.mean;
      this.mean += alpha * diff;
      this.variance = (1 - alpha) * (this.variance + alpha * diff * diff);
    }
    this.n++;
    return result;
  }
}
