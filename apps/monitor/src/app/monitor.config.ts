import { baseEnv, httpPort, natsEnv, postgresEnv } from '@cryptoscalp/config';

import { z } from 'zod';

const ms = (fallback: number) => z.coerce.number().int().positive('expected a positive number of milliseconds').default(fallback);
const count = (fallback: number) => z.coerce.number().int().min(1, 'expected a whole number of at least 1').default(fallback);
const positive = (fallback: number) => z.coerce.number().positive('expected a positive number').default(fallback);
const bool = (fallback: 'true' | 'false') =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback)
    .transform((v) => v === 'true' || v === '1');

/** One static target: `<service>=<base URL>`, e.g. `legacy-feed=http://10.0.0.7:8080`. */
const staticTargets = z
  .string()
  .default('')
  .transform((value, ctx) => {
    const targets: { service: string; url: string }[] = [];
    for (const entry of value
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)) {
      const eq = entry.indexOf('=');
      const service = entry.slice(0, eq);
      const url = entry.slice(eq + 1);
      if (eq < 1 || !/^[A-Za-z0-9_-]+$/.test(service) || !/^https?:\/\/[^\s]+$/.test(url)) {
        ctx.addIssue({ code: 'custom', message: `expected comma-separated <service>=<http URL> entries, got "${entry}"` });
        return z.NEVER;
      }
      targets.push({ service, url: url.replace(/\/+$/, '') });
    }
    return targets;
  });

/** Every variable monitor reads, validated once at startup (see docs/monitor.md: Configuration). */
export const MonitorConfigSchema = z.object({
  ...baseEnv,
  ...natsEnv,
  ...postgresEnv,
  HTTP_PORT: httpPort(3000),
  /** Heartbeats an instance may miss (HEARTBEAT_INTERVAL_MS apart) before it is `fail`. */
  MONITOR_HEARTBEAT_MISSES: count(3),
  /** Overrides misses × interval: an instance whose heartbeat is older than this is `fail`. */
  MONITOR_STALE_AFTER_MS: z.coerce.number().int().positive('expected a positive number of milliseconds').optional(),
  /** A silent instance is forgotten after this long (scaled-down replicas disappear). */
  MONITOR_FORGET_AFTER_MS: ms(600_000),
  /** Static targets polled like discovered instances (no heartbeat needed). */
  MONITOR_TARGETS: staticTargets,
  MONITOR_POLL_INTERVAL_MS: ms(2000),
  MONITOR_POLL_TIMEOUT_MS: ms(1500),
  /** Consecutive failed checks before a target turns `fail`, and passes before it is `pass` again. */
  MONITOR_FAIL_AFTER: count(2),
  MONITOR_PASS_AFTER: count(2),
  /** State changes within the window that make a target "flapping". */
  MONITOR_FLAP_CHANGES: count(4),
  MONITOR_FLAP_WINDOW_MS: ms(120_000),
  /** A new instance is not alerted on until it passed once or this long went by (services connect first). */
  MONITOR_STARTUP_GRACE_MS: z.coerce.number().int().min(0, 'expected 0 or more milliseconds').default(60_000),
  /** How often the metrics of every instance are scraped and merged into /metrics. */
  MONITOR_METRICS_INTERVAL_MS: ms(15_000),
  /** Alert rules, routes and receivers (JSON); the built-in rules when unset. */
  MONITOR_RULES_FILE: z.string().min(1).optional(),
  MONITOR_EVAL_INTERVAL_MS: ms(1000),
  /** Bearer token of the write API (silences, maintenance windows); writes answer 401 without it. */
  MONITOR_API_TOKEN: z.string().min(16, 'expected at least 16 characters').optional(),
  /** Uptime and response-time history in Postgres (POSTGRES_*). */
  MONITOR_HISTORY: bool('true'),
  MONITOR_HISTORY_FLUSH_MS: ms(10_000),
  MONITOR_RETENTION_MINUTE_DAYS: positive(2),
  MONITOR_RETENTION_HOUR_DAYS: positive(35),
  MONITOR_RETENTION_DAY_DAYS: positive(400),
  /** A feed with no message for this long is stale (`warn`). */
  MONITOR_FEED_STALE_AFTER_MS: ms(5000),
  /** Anomaly detection: EWMA weight and z-score band on message rates. */
  MONITOR_ANOMALY_EWMA_ALPHA: z.coerce.number().gt(0).lt(1, 'expected a weight between 0 and 1').default(0.1),
  MONITOR_ANOMALY_Z: positive(4),
  /** Samples before a detector may fire. */
  MONITOR_ANOMALY_WARMUP: count(20),
  /** Anomaly detection: window and threshold (in scaled MADs) on latency. */
  MONITOR_ANOMALY_MAD_WINDOW: count(60),
  MONITOR_ANOMALY_MAD_K: positive(6),
});
export type MonitorConfig = z.infer<typeof MonitorConfigSchema>;

/** Heartbeat age after which an instance is `fail`. */
export function staleAfterMs(config: Pick<MonitorConfig, 'MONITOR_STALE_AFTER_MS' | 'MONITOR_HEARTBEAT_MISSES' | 'HEARTBEAT_INTERVAL_MS'>): number {
  return config.MONITOR_STALE_AFTER_MS ?? config.MONITOR_HEARTBEAT_MISSES * config.HEARTBEAT_INTERVAL_MS;
}
