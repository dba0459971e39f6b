export type Detector = 'staleness' | 'rate' | 'latency';

/** One active anomaly: raises `warn` on its subject and feeds the `anomaly` alert rules. */
export interface Anomaly {
  detector: Detector;
  /** `feed` (venue/symbol) or `instance` (its health response time). */
  subject: 'feed' | 'instance';
  labels: Record<string, string>;
  message: string;
  value: number;
  /** The expected value (EWMA mean, median, or the staleness limit). */
  expected: number;
  score?: number;
  since: number;
  /** What it can be blamed on (inhibition): `venue:<v>`, `instance:<key>`, `service:<name>`… */
  causes: string[];
}

export interface AnomalyParams {
  ewmaAlpha: number;
  z: number;
  warmup: number;
  madWindow: number;
  madK: number;
  staleAfterMs: number;
}
