import type { HealthStatus } from '@cryptoscalp/messaging';

import type { InstanceRecord } from '../discovery/instance-directory';
import { type DampedState, type DamperOptions, FlapDamper } from '../polling/flap-damper';
import type { Observation } from '../polling/health-probe';
import type { ComponentView, HealthSnapshot, InstanceView, ServiceView } from './health.types';
import { dependencyOf, findRootCauses } from './root-cause';

interface TargetState {
  everPassed: boolean;
  damper: FlapDamper;
  components: Map<string, FlapDamper>;
  last?: Observation;
  damped?: DampedState;
  componentStates: Map<string, DampedState>;
}

const worse = (a: HealthStatus, b: HealthStatus): HealthStatus => (a === 'fail' || b === 'fail' ? 'fail' : a === 'warn' || b === 'warn' ? 'warn' : 'pass');

/**
 * Rolls polls and heartbeats up into one tri-state picture: components (damped), instances
 * (readiness and heartbeat), services (some instances failing → `warn`, none serving → `fail`)
 * and the root causes. Plain TypeScript; the clock is a parameter.
 */
export class HealthAggregator {
  private readonly targets = new Map<string, TargetState>();
  private readonly serviceSince = new Map<string, { status: HealthStatus; since: number }>();

  /** `startupGraceMs`: a new instance that has not passed yet is `starting` this long (booting services connect first). */
  constructor(
    private readonly damping: DamperOptions,
    private readonly startupGraceMs = 0,
  ) {}

  /** `initial`: where the damping starts (the status the instance reported in its heartbeat). */
  observe(key: string, obs: Observation, now = obs.time, initial?: HealthStatus): void {
    let t = this.targets.get(key);
    if (!t) {
      t = { everPassed: false, damper: new FlapDamper(this.damping, initial, now), components: new Map(), componentStates: new Map() };
      this.targets.set(key, t);
    }
    t.last = obs;
    t.damped = t.damper.observe(obs.reachable ? obs.status : 'fail', now);
    if (t.damped.state === 'pass') t.everPassed = true;
    const seen = new Set<string>();
    for (const c of obs.components) {
      seen.add(c.name);
      let d = t.components.get(c.name);
      if (!d) t.components.set(c.name, (d = new FlapDamper(this.damping)));
      t.componentStates.set(c.name, d.observe(c.status, now));
    }
    // Components an unreachable instance cannot report keep their last state; vanished ones go.
    if (obs.reachable) {
      for (const name of [...t.components.keys()]) {
        if (!seen.has(name)) {
          t.components.delete(name);
          t.componentStates.delete(name);
        }
      }
    }
  }

  lastObservation(key: string): Observation | undefined {
    return this.targets.get(key)?.last;
  }

  forget(key: string): void {
    this.targets.delete(key);
  }

  snapshot(records: InstanceRecord[], monitorSees: { dependency: string; output: string }[] = [], now = Date.now()): HealthSnapshot {
    const known = new Set(records.map((r) => r.key));
    for (const key of this.targets.keys()) if (!known.has(key)) this.targets.delete(key);
    const instances = records.map((r) => this.instanceView(r, now));
    const services = this.serviceViews(instances, now);
    const rootCauses = findRootCauses(instances, monitorSees);
    let status: HealthStatus = 'pass';
    for (const s of services) status = worse(status, s.status);
    if (monitorSees.length) status = 'fail';
    const primary = rootCauses.find((c) => c.primary);
    const failing = services.filter((s) => s.status !== 'pass').map((s) => `${s.name} ${s.status}`);
    const output = primary ? primary.summary : failing.length ? failing.join(', ') : undefined;
    return { time: now, status, ...(output ? { output } : {}), services, instances, rootCauses };
  }

  private instanceView(r: InstanceRecord, now: number): InstanceView {
    const t = this.targets.get(r.key);
    const obs = t?.last;
    const components: ComponentView[] = [];
    if (t) {
      const byName = new Map(obs?.components.map((c) => [c.name, c]));
      for (const [name, state] of t.componentStates) {
        const c = byName.get(name);
        components.push({
          name,
          status: state.state,
          critical: c?.critical ?? true,
          flapping: state.flapping,
          ...(c?.output !== undefined ? { output: c.output } : {}),
          ...(c?.observedValue !== undefined ? { observedValue: c.observedValue } : {}),
          ...(c?.observedUnit !== undefined ? { observedUnit: c.observedUnit } : {}),
        });
      }
    }
    const reachable = obs ? obs.reachable : null;
    if (obs) {
      components.push({
        name: 'http',
        status: t?.damped?.state === 'fail' && !obs.reachable ? 'fail' : 'pass',
        critical: true,
        flapping: false,
        observedValue: obs.responseMs,
        observedUnit: 'ms',
        ...(obs.reachable ? {} : { output: obs.output ?? 'unreachable' }),
      });
    }
    if (r.source === 'heartbeat') {
      components.push({
        name: 'heartbeat',
        status: r.stale ? 'fail' : 'pass',
        critical: true,
        flapping: false,
        observedValue: Math.max(0, now - r.lastSeen),
        observedUnit: 'ms',
        ...(r.stale ? { output: `no heartbeat for ${Math.round((now - r.lastSeen) / 1000)} s` } : {}),
      });
    }
    for (const c of components) {
      const dep = dependencyOf(c.name, reachable);
      if (dep) c.dependency = dep;
    }
    const heartbeatStatus: HealthStatus = r.stale ? 'fail' : 'pass';
    const polled = t?.damped;
    const status = r.stopping ? 'pass' : polled ? worse(polled.state, heartbeatStatus) : worse(r.reportedStatus, heartbeatStatus);
    const since = polled?.since ?? r.startedAt;
    const everPassed = t?.everPassed || (!polled && r.reportedStatus === 'pass');
    const starting = !everPassed && status !== 'pass' && now - r.firstSeen < this.startupGraceMs;
    const causes = [
      ...new Set(components.filter((c) => c.status !== 'pass' && c.dependency).map((c) => c.dependency as string)),
      ...(reachable === false ? [`instance:${r.key}`] : []),
    ];
    const output =
      status === 'pass'
        ? undefined
        : reachable === false
          ? `unreachable: ${obs?.output ?? ''}`.trim()
          : (obs?.output ?? (r.stale ? `no heartbeat for ${Math.round((now - r.lastSeen) / 1000)} s` : undefined));
    return {
      key: r.key,
      service: r.service,
      instance: r.instance,
      version: r.version,
      healthUrl: r.healthUrl,
      source: r.source,
      status,
      since,
      reportedStatus: r.reportedStatus,
      stale: r.stale,
      stopping: r.stopping,
      starting,
      reachable,
      flapping: polled?.flapping ?? false,
      responseMs: obs ? obs.responseMs : null,
      lastCheck: obs ? obs.time : null,
      lastSeen: r.lastSeen,
      startedAt: r.startedAt,
      ...(output ? { output } : {}),
      components: components.sort((a, b) => a.name.localeCompare(b.name)),
      causes,
    };
  }

  private serviceViews(instances: InstanceView[], now: number): ServiceView[] {
    const byService = new Map<string, InstanceView[]>();
    for (const i of instances) {
      if (i.stopping) continue;
      const list = byService.get(i.service) ?? [];
      list.push(i);
      byService.set(i.service, list);
    }
    const views: ServiceView[] = [];
    for (const [name, list] of byService) {
      const counts = { total: list.length, pass: 0, warn: 0, fail: 0 };
      for (const i of list) counts[i.status]++;
      const status: HealthStatus = counts.pass + counts.warn === 0 ? 'fail' : counts.warn + counts.fail > 0 ? 'warn' : 'pass';
      const prev = this.serviceSince.get(name);
      const since = prev && prev.status === status ? prev.since : now;
      this.serviceSince.set(name, { status, since });
      const bad = list.filter((i) => i.status !== 'pass');
      const output = bad.length ? `${bad.length} of ${list.length} instances not passing: ${bad.map((i) => `${i.instance} ${i.status}`).join(', ')}` : undefined;
      views.push({
        name,
        status,
        since,
        instances: counts,
        flapping: list.some((i) => i.flapping),
        ...(output ? { output } : {}),
        causes: [...new Set(bad.flatMap((i) => i.causes))].sort(),
      });
    }
    for (const name of [...this.serviceSince.keys()]) if (!byService.has(name)) this.serviceSince.delete(name);
    return views.sort((a, b) => a.name.localeCompare(b.name));
  }
}
