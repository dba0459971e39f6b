import type { HealthStatus } from '@cryptoscalp/circuit-breaker';

export type { HealthStatus };

/** What one component check reports (IETF health-check draft fields). */
export interface ComponentResult {
  status: HealthStatus;
  observedValue?: number | string | boolean;
  observedUnit?: string;
  /** Human-readable reason, required when status is not `pass`. */
  output?: string;
  /** The part after the colon in the `checks` key; `responseTime` by default. */
  measurement?: string;
  componentType?: 'component' | 'datastore' | 'system' | string;
}

export interface HealthComponent {
  /** `nats`, `redis`, `postgres`, `feed:binance`, `breaker:db-write`… */
  name: string;
  /**
   * A critical component's `fail` makes the service unready (503). A non-critical one's `fail`
   * only degrades the overall status to `warn`.
   */
  critical: boolean;
  check(): Promise<ComponentResult> | ComponentResult;
}

/** One entry of `checks` in the IETF health-check draft. */
export interface CheckEntry {
  componentId: string;
  componentType: string;
  status: HealthStatus;
  observedValue?: number | string | boolean;
  observedUnit?: string;
  output?: string;
  critical: boolean;
  time: string;
}

/** `application/health+json` body. */
export interface HealthBody {
  status: HealthStatus;
  version: string;
  releaseId: string;
  serviceId: string;
  description: string;
  output?: string;
  checks: Record<string, CheckEntry[]>;
}

export interface HealthModuleOptions {
  service: string;
  instance: string;
  version: string;
  /** Per-check timeout; a check that takes longer fails with "timed out". */
  checkTimeoutMs: number;
}

export const HEALTH_MODULE_OPTIONS = Symbol('HEALTH_MODULE_OPTIONS');

/** Worst of the statuses (`fail` > `warn` > `pass`). */
export function worst(statuses: Iterable<HealthStatus>): HealthStatus {
  let result: HealthStatus = 'pass';
  for (const s of statuses) {
    if (s === 'fail') return 'fail';
    if (s === 'warn') result = 'warn';
  }
  return result;
}

/** A process-level condition checked by liveness (see HealthRegistry.registerLiveness). */
export interface LivenessCheck {
  name: string;
  check: () => ComponentResult;
}
