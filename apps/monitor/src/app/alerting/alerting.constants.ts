import type { Silence } from './alert.types';

export const ALERTING_OPTIONS = Symbol('ALERTING_OPTIONS');
/** Optional persistence of silences and maintenance windows (the history module provides it). */
export const SILENCE_STORE = Symbol('SILENCE_STORE');

export interface AlertingOptions {
  rulesFile?: string;
  /** Links in notifications point here (PUBLIC_URL). */
  externalUrl: () => string;
  latency: { window: number; k: number; warmup: number };
  delivery: { maxAttempts: number; initialDelayMs: number; maxDelayMs: number };
}

export interface SilenceStore {
  load(): Promise<Silence[]>;
  save(s: Silence): Promise<void>;
  delete(id: string): Promise<void>;
}
