import type { InstanceView } from '../aggregation/health.types';
import type { Anomaly } from './anomaly.types';
import { MadDetector, type MadOptions } from './mad-detector';

/** MAD anomaly detection on every instance's health response time (one new sample per poll). */
export class InstanceLatencyWatch {
  private readonly detectors = new Map<string, { detector: MadDetector; lastCheck: number; anomaly?: Anomaly }>();

  constructor(private readonly options: MadOptions) {}

  update(instances: InstanceView[], now = Date.now()): Anomaly[] {
    const live = new Set<string>();
    const out: Anomaly[] = [];
    for (const i of instances) {
      live.add(i.key);
      if (i.responseMs === null || i.lastCheck === null || !i.reachable) continue;
      let d = this.detectors.get(i.key);
      if (!d) this.detectors.set(i.key, (d = { detector: new MadDetector(this.options), lastCheck: 0 }));
      if (i.lastCheck !== d.lastCheck) {
        d.lastCheck = i.lastCheck;
        const r = d.detector.observe(i.responseMs);
        d.anomaly = r.anomalous
          ? {
              detector: 'latency',
              subject: 'instance',
              labels: { service: i.service, instance: i.instance },
              message: `${i.service}/${i.instance}: health answered in ${i.responseMs} ms, median ${Math.round(r.median * 10) / 10} ms (${Math.round(r.score)} MADs)`,
              value: i.responseMs,
              expected: r.median,
              score: r.score,
              since: d.anomaly?.since ?? now,
              causes: [`instance:${i.key}`, `service:${i.service}`],
            }
          : undefined;
      }
      if (d.anomaly) out.push(d.anomaly);
    }
    for (const key of [...this.detectors.keys()]) if (!live.has(key)) this.detectors.delete(key);
    return out;
  }
}
