import { MetricsRegistry } from '@cryptoscalp/metrics';
import { PostgresConnector } from '@cryptoscalp/postgres';

import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { AggregationService } from '../aggregation/aggregation.service';
import { HISTORY_OPTIONS, type HistoryOptions, UPTIME_WINDOWS, type UptimeReport, type UptimeWindow } from './history.constants';
import { RollupAccumulator,type RollupDelta } from './rollup-accumulator';

const DAY = 86_400_000;
type Row = { bucket: Date; checks: string; pass: string; warn: string; fail: string; rsum: string | null; rcount: string; rmax: string | null };

/**
 * Uptime and response-time history in Postgres: per-minute counts flushed every `flushMs` (and on
 * shutdown), hour and day rollups rebuilt from them, retention per resolution. While Postgres is
 * down, counts wait in memory until a flush works (readiness reports it, like every service's store).
 */
@Injectable()
export class HistoryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(HistoryService.name);
  private readonly accumulator = new RollupAccumulator();
  private timer: NodeJS.Timeout | undefined;
  private migrated: Promise<void> | undefined;
  private ready = false;
  private flushing: Promise<void> = Promise.resolve();
  private lastRetention = 0;
  private readonly flushes;

  constructor(
    private readonly dataSource: DataSource,
    private readonly connector: PostgresConnector,
    private readonly aggregation: AggregationService,
    metrics: MetricsRegistry,
    @Inject(HISTORY_OPTIONS) private readonly options: HistoryOptions,
  ) {
    this.flushes = metrics.counter('monitor_history_flushes_total', 'History flushes to Postgres by outcome', ['outcome']);
  }

  onApplicationBootstrap(): void {
    this.aggregation.onSnapshot('history', (s) => this.accumulator.record(s));
    this.migrated = this.connector.whenReady().then(async () => {
      const done = await this.dataSource.runMigrations({ transaction: 'each' });
      if (done.length) this.logger.log(`migrations applied: ${done.map((m) => m.name).join(', ')}`);
      this.ready = true;
    });
    this.migrated.catch((err: Error) => this.logger.error(`history unavailable: ${err.message}`));
    this.timer = setInterval(() => void this.flush(), this.options.flushMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  get available(): boolean {
    return this.ready && this.connector.ready;
  }

  /** Writes what was counted since the last flush; serialised, safe to call any time. */
  flush(now = Date.now()): Promise<void> {
    this.flushing = this.flushing.then(() => this.doFlush(now));
    return this.flushing;
  }

  private async doFlush(now: number): Promise<void> {
    if (!this.available) return;
    const deltas = this.accumulator.take();
    if (deltas.length) {
      try {
        await this.write(deltas);
        this.flushes.inc({ outcome: 'ok' });
      } catch (err) {
        this.accumulator.restore(deltas);
        this.flushes.inc({ outcome: 'error' });
        this.logger.warn(`history flush failed (kept in memory): ${(err as Error).message}`);
        return;
      }
    }
    if (now - this.lastRetention > 600_000) {
      this.lastRetention = now;
      await this.applyRetention(now).catch((err: Error) => this.logger.warn(`history retention failed: ${err.message}`));
    }
  }

  private async write(deltas: RollupDelta[]): Promise<void> {
    const hours = deltas.map((d) => Math.floor(d.bucket / 3_600_000) * 3_600_000);
    const days = deltas.map((d) => Math.floor(d.bucket / DAY) * DAY);
    const from = (xs: number[]) => new Date(Math.min(...xs));
    await this.dataSource.transaction(async (m) => {
      await m.query(
        `INSERT INTO monitor_rollup (resolution, bucket, service, instance, checks, pass, warn, fail, response_ms_sum, response_count, response_ms_max)
         SELECT 'm', to_timestamp(b / 1000.0), s, i, c, p, w, f, rs, rc, rm
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::int[], $6::int[], $7::int[], $8::float8[], $9::int[], $10::float8[]) AS t(b, s, i, c, p, w, f, rs, rc, rm)
         ON CONFLICT (resolution, service, instance, bucket) DO UPDATE SET
           checks = monitor_rollup.checks + excluded.checks, pass = monitor_rollup.pass + excluded.pass,
           warn = monitor_rollup.warn + excluded.warn, fail = monitor_rollup.fail + excluded.fail,
           response_ms_sum = monitor_rollup.response_ms_sum + excluded.response_ms_sum,
           response_count = monitor_rollup.response_count + excluded.response_count,
           response_ms_max = GREATEST(monitor_rollup.response_ms_max, excluded.response_ms_max)`,
        [
          deltas.map((d) => d.bucket),
          deltas.map((d) => d.service),
          deltas.map((d) => d.instance),
          deltas.map((d) => d.checks),
          deltas.map((d) => d.pass),
          deltas.map((d) => d.warn),
          deltas.map((d) => d.fail),
          deltas.map((d) => d.responseMsSum),
          deltas.map((d) => d.responseCount),
          deltas.map((d) => d.responseMsMax),
        ],
      );
      // Coarser rollups are rebuilt (not added to) from the finer ones: idempotent.
      for (const [res, src, unit, since] of [
        ['h', 'm', 'hour', from(hours)],
        ['d', 'h', 'day', from(days)],
      ] as const) {
        await m.query(
          `INSERT INTO monitor_rollup (resolution, bucket, service, instance, checks, pass, warn, fail, response_ms_sum, response_count, response_ms_max)
           SELECT '${res}', date_trunc('${unit}', bucket AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS b, service, instance,
                  sum(checks), sum(pass), sum(warn), sum(fail), sum(response_ms_sum), sum(response_count), max(response_ms_max)
           FROM monitor_rollup WHERE resolution = '${src}' AND bucket >= $1 GROUP BY b, service, instance
           ON CONFLICT (resolution, service, instance, bucket) DO UPDATE SET
             checks = excluded.checks, pass = excluded.pass, warn = excluded.warn, fail = excluded.fail,
             response_ms_sum = excluded.response_ms_sum, response_count = excluded.response_count, response_ms_max = excluded.response_ms_max`,
          [since],
        );
      }
    });
  }

  private async applyRetention(now: number): Promise<void> {
    const r = this.options.retention;
    for (const [res, days] of [
      ['m', r.minuteDays],
      ['h', r.hourDays],
      ['d', r.dayDays],
    ] as const) {
      await this.dataSource.query(`DELETE FROM monitor_rollup WHERE resolution = $1 AND bucket < $2`, [res, new Date(now - days * DAY)]);
    }
  }

  /** Services with history in the window (for the dashboard's bars). */
  async services(window: UptimeWindow, now = Date.now()): Promise<string[]> {
    const w = UPTIME_WINDOWS[window];
    const rows = (await this.dataSource.query(`SELECT DISTINCT service FROM monitor_rollup WHERE resolution = $1 AND instance = '' AND bucket >= $2 ORDER BY service`, [
      w.resolution,
      new Date(now - w.spanMs),
    ])) as { service: string }[];
    return rows.map((r) => r.service);
  }

  async uptime(service: string, window: UptimeWindow, now = Date.now()): Promise<UptimeReport> {
    await this.flush(now);
    const w = UPTIME_WINDOWS[window];
    const n = Math.round(w.spanMs / w.bucketMs);
    const last = Math.floor(now / w.bucketMs) * w.bucketMs;
    const first = last - (n - 1) * w.bucketMs;
    const rows = (await this.dataSource.query(
      `SELECT bucket, sum(checks) AS checks, sum(pass) AS pass, sum(warn) AS warn, sum(fail) AS fail,
              sum(response_ms_sum) AS rsum, sum(response_count) AS rcount, max(response_ms_max) AS rmax
       FROM monitor_rollup WHERE resolution = $1 AND service = $2 AND instance = '' AND bucket >= $3
       GROUP BY bucket ORDER BY bucket`,
      [w.resolution, service, new Date(first)],
    )) as Row[];
    const byStart = new Map(rows.map((r) => [new Date(r.bucket).getTime(), r]));
    let checks = 0;
    let pass = 0;
    let warn = 0;
    let fail = 0;
    let rsum = 0;
    let rcount = 0;
    let rmax: number | null = null;
    const buckets = [];
    for (let t = first; t <= last; t += w.bucketMs) {
      const r = byStart.get(t);
      const c = Number(r?.checks ?? 0);
      const f = Number(r?.fail ?? 0);
      const rc = Number(r?.rcount ?? 0);
      checks += c;
      pass += Number(r?.pass ?? 0);
      warn += Number(r?.warn ?? 0);
      fail += f;
      rsum += Number(r?.rsum ?? 0);
      rcount += rc;
      if (r?.rmax !== null && r?.rmax !== undefined && rc > 0) rmax = Math.max(rmax ?? 0, Number(r.rmax));
      buckets.push({
        start: new Date(t).toISOString(),
        checks: c,
        uptime: c ? (c - f) / c : null,
        fail: f,
        avgResponseMs: rc ? Math.round((Number(r?.rsum ?? 0) / rc) * 100) / 100 : null,
      });
    }
    return {
      service,
      window,
      from: new Date(first).toISOString(),
      to: new Date(now).toISOString(),
      resolution: w.resolution === 'm' ? 'minute' : w.resolution === 'h' ? 'hour' : 'day',
      uptime: checks ? (checks - fail) / checks : null,
      checks,
      pass,
      warn,
      fail,
      avgResponseMs: rcount ? Math.round((rsum / rcount) * 100) / 100 : null,
      maxResponseMs: rmax,
      buckets,
    };
  }
}
