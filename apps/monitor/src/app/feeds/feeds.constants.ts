import type { AnomalyParams } from '../anomaly/anomaly.types';

export const FEEDS_OPTIONS = Symbol('FEEDS_OPTIONS');

export interface FeedsOptions extends AnomalyParams {
  pollIntervalMs: number;
  pollTimeoutMs: number;
  /** Services whose instances serve `GET /v1/feeds`. */
  feedServices: string[];
}
