export const HISTORY_OPTIONS = Symbol('HISTORY_OPTIONS');

export interface HistoryOptions {
  flushMs: number;
  retention: { minuteDays: number; hourDays: number; dayDays: number };
}

export const UPTIME_WINDOWS = {
  '1h': { spanMs: 3_600_000, resolution: 'm', bucketMs: 60_000 },
  '24h': { spanMs: 86_400_000, resolution: 'h', bucketMs: 3_600_000 },
  '7d': { spanMs: 7 * 86_400_000, resolution: 'h', bucketMs: 3_600_000 },
  '30d': { spanMs: 30 * 86_400_000, resolution: 'd', bucketMs: 86_400_000 },
} as const;
export type UptimeWindow = keyof typeof UPTIME_WINDOWS;

export interface UptimeBucket {
  start: string;
  checks: number;
  /** Share of checks not `fail` (0..1), null without checks. */
  uptime: number | null;
  fail: number;
  avgResponseMs: number | null;
}

export interface UptimeReport {
  service: string;
  window: UptimeWindow;
  from: string;
  to: string;
  resolution: 'minute' | 'hour' | 'day';
  uptime: number | null;
  checks: number;
  pass: number;
  warn: number;
  fail: number;
  avgResponseMs: number | null;
  maxResponseMs: number | null;
  buckets: UptimeBucket[];
}
