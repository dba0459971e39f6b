import type { FeedStatus, HealthStatus } from '@cryptoscalp/messaging';

import type { Anomaly, AnomalyParams } from '../anomaly/anomaly.types';
import { EwmaDetector } from '../anomaly/ewma-detector';
import { MadDetector } from '../anomaly/mad-detector';
import type { FeedView, GatewayFeed, VenueView } from './feed.types';

interface FeedEntry {
  venue: string;
  symbol: string;
  state: string;
  lastMessageAt: number | null;
  rate: number | null;
  rates: Record<string, number>;
  seq: number | null;
  latencyMs: number | null;
  counters: Record<string, number>;
  instances: Map<string, number>;
  lastStatus?: { state: string; reason: string; ts: number };
  rateDetector: EwmaDetector;
  latencyDetector: MadDetector;
  rateAnomaly?: Anomaly;
  latencyAnomaly?: Anomaly;
  staleSince?: number;
  updatedAt: number;
}

// md.status states, and the gateway's own symbol states from /v1/feeds (syncing, resyncing).
const BAD_STATES = new Set(['gap', 'resync', 'stale', 'checksum_mismatch', 'syncing', 'resyncing', 'connecting']);

/**
 * Per venue and symbol: state, freshness, rate, sequence, counters, and the anomalies on them.
 * Fed by gateways' `/v1/feeds` (polled) and `md.status` events. Plain TypeScript.
 */
export class FeedBoard {
  private readonly feeds = new Map<string, FeedEntry>();

  constructor(private readonly params: AnomalyParams) {}

  private entry(venue: string, symbol: string, now: number): FeedEntry {
    const key = `${venue}/${symbol}`;
    let e = this.feeds.get(key);
    if (!e) {
      e = {
        venue,
        symbol,
        state: 'unknown',
        lastMessageAt: null,
        rate: null,
        rates: {},
        seq: null,
        latencyMs: null,
        counters: {},
        instances: new Map(),
        rateDetector: new EwmaDetector({ alpha: this.params.ewmaAlpha, z: this.params.z, warmup: this.params.warmup }),
        latencyDetector: new MadDetector({ window: this.params.madWindow, k: this.params.madK, warmup: this.params.warmup }),
        updatedAt: now,
      };
      this.feeds.set(key, e);
    }
    return e;
  }

  /** A `md.status.<venue>.<symbol>` event. */
  applyStatus(status: FeedStatus, now = Date.now()): void {
    const e = this.entry(status.venue, status.symbol, now);
    e.state = status.state;
    e.lastStatus = { state: status.state, reason: status.reason, ts: status.ts };
    e.updatedAt = now;
  }

  /** One gateway instance's `/v1/feeds`, read at `now`. */
  applyGateway(instanceKey: string, feeds: GatewayFeed[], now = Date.now()): void {
    for (const f of feeds) {
      const e = this.entry(f.venue, f.symbol, now);
      e.instances.set(instanceKey, now);
      if (f.state) e.state = f.state;
      if (f.lastMessageAgeMs !== undefined && f.lastMessageAgeMs !== null) {
        const at = now - f.lastMessageAgeMs;
        e.lastMessageAt = e.lastMessageAt === null ? at : Math.max(e.lastMessageAt, at);
      }
      const rates = typeof f.rates === 'number' ? { total: f.rates } : (f.rates ?? {});
      const total = f.messagesPerSecond ?? f.ratePerSecond ?? (typeof f.rates === 'number' ? f.rates : Object.values(rates).reduce((a, b) => a + b, 0));
      e.rates = rates;
      if (f.rates !== undefined || f.messagesPerSecond !== undefined || f.ratePerSecond !== undefined) {
        e.rate = total;
        const r = e.rateDetector.observe(total);
        e.rateAnomaly = r.anomalous
          ? {
              detector: 'rate',
              subject: 'feed',
              labels: { venue: e.venue, symbol: e.symbol },
              message: `${e.venue} ${e.symbol}: ${round(total)} msg/s, expected ${round(r.mean)} ± ${round(this.params.z * r.sd)} (z ${round(r.z)})`,
              value: total,
              expected: r.mean,
              score: r.z,
              since: e.rateAnomaly?.since ?? now,
              causes: this.causes(e),
            }
          : undefined;
      }
      if (f.seq !== undefined && f.seq !== null) e.seq = f.seq;
      if (f.counters) e.counters = f.counters;
      if (f.latencyMs !== undefined && f.latencyMs !== null) {
        e.latencyMs = f.latencyMs;
        const r = e.latencyDetector.observe(f.latencyMs);
        e.latencyAnomaly = r.anomalous
          ? {
              detector: 'latency',
              subject: 'feed',
              labels: { venue: e.venue, symbol: e.symbol },
              message: `${e.venue} ${e.symbol}: latency ${round(f.latencyMs)} ms, median ${round(r.median)} ms (${round(r.score)} MADs)`,
              value: f.latencyMs,
              expected: r.median,
              score: r.score,
              since: e.latencyAnomaly?.since ?? now,
              causes: this.causes(e),
            }
          : undefined;
      }
      e.updatedAt = now;
    }
  }

  /** Gateways that went away: their feeds keep their last figures and age (they turn stale). */
  forgetInstance(instanceKey: string): void {
    for (const e of this.feeds.values()) e.instances.delete(instanceKey);
  }

  list(now = Date.now()): FeedView[] {
    const out: FeedView[] = [];
    for (const [key, e] of this.feeds) {
      const ageMs = e.lastMessageAt === null ? null : Math.max(0, now - e.lastMessageAt);
      const stale = ageMs !== null && ageMs > this.params.staleAfterMs;
      if (stale) e.staleSince ??= now;
      else e.staleSince = undefined;
      const anomalies: Anomaly[] = [];
      if (stale && ageMs !== null) {
        anomalies.push({
          detector: 'staleness',
          subject: 'feed',
          labels: { venue: e.venue, symbol: e.symbol },
          message: `${e.venue} ${e.symbol}: no message for ${(ageMs / 1000).toFixed(1)} s (limit ${(this.params.staleAfterMs / 1000).toFixed(1)} s)`,
          value: ageMs,
          expected: this.params.staleAfterMs,
          since: e.staleSince ?? now,
          causes: this.causes(e),
        });
      }
      if (e.rateAnomaly) anomalies.push(e.rateAnomaly);
      if (e.latencyAnomaly) anomalies.push(e.latencyAnomaly);
      let health: HealthStatus = 'pass';
      if (e.state === 'disconnected') health = 'fail';
      else if (stale || BAD_STATES.has(e.state) || anomalies.length) health = 'warn';
      out.push({
        key,
        venue: e.venue,
        symbol: e.symbol,
        state: e.state,
        health,
        lastMessageAt: e.lastMessageAt,
        ageMs,
        rate: e.rate,
        rates: e.rates,
        seq: e.seq,
        latencyMs: e.latencyMs,
        counters: e.counters,
        instances: [...e.instances.keys()].sort(),
        ...(e.lastStatus ? { lastStatus: e.lastStatus } : {}),
        anomalies,
        updatedAt: e.updatedAt,
      });
    }
    return out.sort((a, b) => a.venue.localeCompare(b.venue) || a.symbol.localeCompare(b.symbol));
  }

  /** Per venue: `fail` when no symbol is healthy (the venue itself is down), `warn` when some are not. */
  static venues(feeds: FeedView[]): VenueView[] {
    const byVenue = new Map<string, VenueView>();
    for (const f of feeds) {
      const v = byVenue.get(f.venue) ?? { venue: f.venue, health: 'pass', symbols: 0, pass: 0, warn: 0, fail: 0, rate: 0, instances: [] };
      v.symbols++;
      for (const i of f.instances) if (!v.instances.includes(i)) v.instances.push(i);
      v[f.health]++;
      v.rate += f.rate ?? 0;
      byVenue.set(f.venue, v);
    }
    for (const v of byVenue.values()) {
      v.health = v.pass === 0 ? 'fail' : v.warn + v.fail > 0 ? 'warn' : 'pass';
      v.instances.sort();
    }
    return [...byVenue.values()].sort((a, b) => a.venue.localeCompare(b.venue));
  }

  private causes(e: FeedEntry): string[] {
    return [`venue:${e.venue}`, ...[...e.instances.keys()].map((k) => `instance:${k}`), ...[...e.instances.keys()].map((k) => `service:${k.split('/')[0]}`)];
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
