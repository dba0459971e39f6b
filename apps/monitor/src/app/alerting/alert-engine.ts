import { type Alert, type Candidate, fingerprint, matches, type Silence } from './alert.types';
import type { InhibitRule } from './rules.schema';

/**
 * The alert state machine: a condition that holds becomes `pending`, `firing` once it has held for
 * the rule's `for`, `resolved` when it stops holding (a pending one that stops is dropped). Then
 * silences (and maintenance windows) and inhibition are applied: an alert is inhibited while a
 * firing alert `provides` one of its `causes` (NATS down mutes what it causes downstream; a venue
 * down mutes its per-symbol alerts), or an Alertmanager-style inhibit rule matches.
 */
export class AlertEngine {
  private readonly alerts = new Map<string, Alert>();

  constructor(
    private inhibitRules: InhibitRule[],
    private keepResolvedMs: number,
  ) {}

  configure(inhibitRules: InhibitRule[], keepResolvedMs: number): void {
    this.inhibitRules = inhibitRules;
    this.keepResolvedMs = keepResolvedMs;
  }

  evaluate(candidates: Candidate[], silences: Silence[], now = Date.now()): Alert[] {
    const seen = new Set<string>();
    for (const c of candidates) {
      const fp = fingerprint(c.labels);
      if (seen.has(fp)) continue;
      seen.add(fp);
      let a = this.alerts.get(fp);
      if (!a || a.state === 'resolved') {
        a = { fingerprint: fp, rule: c.rule, state: 'pending', labels: c.labels, annotations: c.annotations, causes: c.causes, provides: c.provides, activeAt: now, lastEvalAt: now, silencedBy: [], inhibitedBy: [] };
        this.alerts.set(fp, a);
      }
      a.annotations = c.annotations;
      a.causes = c.causes;
      a.provides = c.provides;
      a.lastEvalAt = now;
      if (c.value !== undefined) a.value = c.value;
      if (a.state === 'pending' && now - a.activeAt >= c.forMs) {
        a.state = 'firing';
        a.firingAt = now;
      }
    }
    for (const [fp, a] of this.alerts) {
      if (seen.has(fp)) continue;
      if (a.state === 'pending') this.alerts.delete(fp);
      else if (a.state === 'firing') {
        a.state = 'resolved';
        a.resolvedAt = now;
      } else if (a.resolvedAt !== undefined && now - a.resolvedAt > this.keepResolvedMs) this.alerts.delete(fp);
    }
    const active = silences.filter((s) => s.startsAt <= now && now < s.endsAt);
    const all = [...this.alerts.values()];
    for (const a of all) a.silencedBy = active.filter((s) => s.matchers.every((m) => matches(m, a.labels))).map((s) => s.id);
    const firing = all.filter((a) => a.state === 'firing');
    for (const a of all) {
      a.inhibitedBy =
        a.state === 'resolved'
          ? []
          : firing
              .filter(
                (src) =>
                  src !== a &&
                  (src.provides.some((p) => a.causes.includes(p)) ||
                    this.inhibitRules.some(
                      (r) =>
                        Object.entries(r.sourceMatch).every(([k, v]) => src.labels[k] === v) &&
                        Object.entries(r.targetMatch).every(([k, v]) => a.labels[k] === v) &&
                        r.equal.every((l) => src.labels[l] === a.labels[l]) &&
                        !Object.entries(r.targetMatch).every(([k, v]) => src.labels[k] === v),
                    )),
              )
              .map((src) => src.fingerprint);
    }
    return this.list();
  }

  list(): Alert[] {
    const order = { firing: 0, pending: 1, resolved: 2 };
    return [...this.alerts.values()].sort((a, b) => order[a.state] - order[b.state] || a.activeAt - b.activeAt || a.fingerprint.localeCompare(b.fingerprint));
  }
}
