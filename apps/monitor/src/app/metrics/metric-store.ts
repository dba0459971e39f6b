import type { MetricFamily, Sample } from './prometheus-text';

export interface ScrapedSeries {
  instanceKey: string;
  service: string;
  labels: Record<string, string>;
  value: number;
  time: number;
}

interface Scrape {
  time: number;
  families: Map<string, MetricFamily>;
}

/**
 * The last scrapes of every instance, for the threshold and rate rules: the latest value of a
 * series, and its per-second increase over a window (counter resets handled).
 */
export class MetricStore {
  private readonly scrapes = new Map<string, { service: string; history: Scrape[] }>();

  constructor(private readonly keepMs = 3_600_000) {}

  record(instanceKey: string, service: string, families: MetricFamily[], time = Date.now()): void {
    const entry = this.scrapes.get(instanceKey) ?? { service, history: [] };
    entry.history.push({ time, families: new Map(families.map((f) => [f.name, f])) });
    while (entry.history.length > 2 && (entry.history[0] as Scrape).time < time - this.keepMs) entry.history.shift();
    this.scrapes.set(instanceKey, entry);
  }

  forget(instanceKey: string): void {
    this.scrapes.delete(instanceKey);
  }

  /** Latest families of every instance (for the merge). */
  latest(): { instanceKey: string; service: string; families: MetricFamily[] }[] {
    return [...this.scrapes].flatMap(([instanceKey, e]) => {
      const last = e.history[e.history.length - 1];
      return last ? [{ instanceKey, service: e.service, families: [...last.families.values()] }] : [];
    });
  }

  /** Latest value of every series of `metricName` (a sample name: `x`, `x_bucket`, `x_total`…). */
  values(metricName: string): ScrapedSeries[] {
    const out: ScrapedSeries[] = [];
    for (const [instanceKey, e] of this.scrapes) {
      const last = e.history[e.history.length - 1];
      if (!last) continue;
      for (const s of samplesNamed(last.families, metricName)) out.push({ instanceKey, service: e.service, labels: s.labels, value: s.value, time: last.time });
    }
    return out;
  }

  /** Per-second increase of every series of a counter over `windowMs` (needs two scrapes in the window). */
  rates(metricName: string, windowMs: number, now = Date.now()): ScrapedSeries[] {
    const out: ScrapedSeries[] = [];
    for (const [instanceKey, e] of this.scrapes) {
      const inWindow = e.history.filter((s) => s.time >= now - windowMs);
      if (inWindow.length < 2) continue;
      const series = new Map<string, { labels: Record<string, string>; points: { t: number; v: number }[] }>();
      for (const scrape of inWindow) {
        for (const s of samplesNamed(scrape.families, metricName)) {
          const id = JSON.stringify(s.labels);
          const entry = series.get(id) ?? { labels: s.labels, points: [] };
          entry.points.push({ t: scrape.time, v: s.value });
          series.set(id, entry);
        }
      }
      for (const { labels, points } of series.values()) {
        if (points.length < 2) continue;
        let increase = 0;
        for (let i = 1; i < points.length; i++) {
          const d = (points[i] as { v: number }).v - (points[i - 1] as { v: number }).v;
          increase += d >= 0 ? d : (points[i] as { v: number }).v; // reset: the counter restarted from 0
        }
        const seconds = ((points[points.length - 1] as { t: number }).t - (points[0] as { t: number }).t) / 1000;
        if (seconds > 0) out.push({ instanceKey, service: e.service, labels, value: increase / seconds, time: now });
      }
    }
    return out;
  }
}

function samplesNamed(families: Map<string, MetricFamily>, metricName: string): Sample[] {
  const direct = families.get(metricName);
  if (direct) return direct.values.filter((v) => v.metricName === metricName);
  for (const f of families.values()) if (metricName.startsWith(f.name)) return f.values.filter((v) => v.metricName === metricName);
  return [];
}
