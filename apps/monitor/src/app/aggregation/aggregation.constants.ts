import type { DamperOptions } from '../polling/flap-damper';

export const AGGREGATION_OPTIONS = Symbol('AGGREGATION_OPTIONS');

export interface AggregationOptions extends DamperOptions {
  pollIntervalMs: number;
  pollTimeoutMs: number;
  /** How often the snapshot is rebuilt and handed to alerting, history and the dashboard. */
  evalIntervalMs: number;
  /** `<service>/<instance>` of the monitor itself (it watches itself like any instance). */
  selfKey: string;
  /** A new instance that has not passed yet is not alerted on for this long. */
  startupGraceMs: number;
}
