import type { HealthStatus } from '@cryptoscalp/messaging';

import type { HealthSnapshot } from '../aggregation/health.types';

export interface RollupDelta {
  bucket: number;
  service: string;
  instance: string;
  checks: number;
  pass: number;
  warn: number;
  fail: number;
  responseMsSum: number;
  responseCount: number;
  responseMsMax: number;
}

export const MINUTE = 60_000;

/**
 * Counts per minute what the monitor observed, until they are flushed: one check per poll of an
 * instance, one per evaluation of a service (its rolled-up status, and the mean response time of
 * its instances). `take()` hands over the deltas and starts over.
 */
export class RollupAccumulator {
  private deltas = new Map<string, RollupDelta>();
  private readonly lastCheck = new Map<string, number>();

  private add(bucket: number, service: string, instance: string, status: HealthStatus, responseMs: number | null): void {
    const key = `${bucket}|${service}|${instance}`;
    let d = this.deltas.get(key);
    if (!d) {
      d = { bucket, service, instance, checks: 0, pass: 0, warn: 0, fail: 0, responseMsSum: 0, responseCount: 0, responseMsMax: 0 };
      this.deltas.set(key, d);
    }
    d.checks++;
    d[status]++;
    if (responseMs !== null) {
      d.responseMsSum += responseMs;
      d.responseCount++;
      d.responseMsMax = Math.max(d.responseMsMax, responseMs);
    }
  }

  record(s: HealthSnapshot): void {
    const bucket = Math.floor(s.time / MINUTE) * MINUTE;
    const byService = new Map<string, number[]>();
    for (const i of s.instances) {
      if (i.stopping || i.lastCheck === null) continue;
      if (this.lastCheck.get(i.key) === i.lastCheck) continue;
      this.lastCheck.set(i.key, i.lastCheck);
      const ms = i.reachable ? i.responseMs : null;
      this.add(bucket, i.service, i.instance, i.status, ms);
      if (ms !== null) byService.set(i.service, [...(byService.get(i.service) ?? []), ms]);
    }
    for (const svc of s.services) {
      const times = byService.get(svc.name);
      this.add(bucket, svc.name, '', svc.status, times?.length ? times.reduce((a, b) => a + b, 0) / times.length : null);
    }
    const live = new Set(s.instances.map((i) => i.key));
    for (const k of [...this.lastCheck.keys()]) if (!live.has(k)) this.lastCheck.delete(k);
  }

  take(): RollupDelta[] {
    const out = [...this.deltas.values()];
    this.deltas = new Map();
    return out;
  }

  /** Puts deltas back after a failed flush (merged with what arrived meanwhile). */
  restore(deltas: RollupDelta[], maxEntries = 50_000): void {
    for (const d of deltas) {
      if (this.deltas.size >= maxEntries) return;
      const key = `${d.bucket}|${d.service}|${d.instance}`;
      const cur = this.deltas.get(key);
      if (!cur) this.deltas.set(key, { ...d });
      else {
        cur.checks += d.checks;
        cur.pass += d.pass;
        cur.warn += d.warn;
        cur.fail += d.fail;
        cur.responseMsSum += d.responseMsSum;
        cur.responseCount += d.responseCount;
        cur.responseMsMax = Math.max(cur.responseMsMax, d.responseMsMax);
      }
    }
  }
}
