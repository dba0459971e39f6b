import type { HealthSnapshot } from '../aggregation/health.types';
import type { Anomaly } from '../anomaly/anomaly.types';
import type { FeedView, VenueView } from '../feeds/feed.types';
import type { ScrapedSeries } from '../metrics/metric-store';
import type { Candidate } from './alert.types';
import type { HealthRule, Rule } from './rules.schema';

export interface EvalContext {
  now: number;
  snapshot: HealthSnapshot;
  feeds: FeedView[];
  venues: VenueView[];
  /** Anomalies on instances (health response time). */
  instanceAnomalies: Anomaly[];
  metrics: { values(metric: string): ScrapedSeries[]; rates(metric: string, windowMs: number, now: number): ScrapedSeries[] };
}

const OPS: Record<string, (a: number, b: number) => boolean> = {
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

/** `{{name}}` → the variable, unknown placeholders left empty. */
export function template(text: string, vars: Record<string, string>): string {
  return text.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, k: string) => vars[k] ?? '');
}

const fmt = (v: number) => String(Math.round(v * 1000) / 1000);

function candidate(rule: Rule, subject: Record<string, string>, vars: Record<string, string>, causes: string[], provides: string[], value?: number): Candidate {
  const labels = { alertname: rule.name, ...subject, ...rule.labels };
  const all = { ...vars, ...labels, ...(value !== undefined ? { value: fmt(value) } : {}) };
  const annotations: Record<string, string> = {};
  for (const [k, t] of Object.entries(rule.annotations)) annotations[k] = template(t, all);
  return { rule: rule.name, forMs: rule.for, labels, annotations, ...(value !== undefined ? { value } : {}), causes, provides };
}

function healthCandidates(rule: HealthRule, ctx: EvalContext): Candidate[] {
  const hits = (status: string) => (rule.state === 'fail' ? status === 'fail' : status !== 'pass');
  const inScope = (service: string) => !rule.services || rule.services.includes(service);
  const provides = (id: string) => (rule.state === 'fail' && !rule.flapping ? [id] : []);
  const out: Candidate[] = [];
  switch (rule.scope) {
    case 'instance':
      for (const i of ctx.snapshot.instances) {
        if (i.stopping || i.starting || !inScope(i.service)) continue;
        // A flapping target alerts once, through the flapping rule, not on every change.
        const holds = rule.flapping ? i.flapping : hits(i.status) && !i.flapping;
        if (!holds) continue;
        const causes = [...i.causes.filter((c) => c !== `instance:${i.key}`), `service:${i.service}`];
        out.push(candidate(rule, { service: i.service, instance: i.instance }, { output: i.output ?? '', status: i.status }, causes, provides(`instance:${i.key}`)));
      }
      break;
    case 'service':
      for (const s of ctx.snapshot.services) {
        if (!inScope(s.name)) continue;
        // Not while its troubled instances are still booting.
        const troubled = ctx.snapshot.instances.filter((i) => i.service === s.name && !i.stopping && i.status !== 'pass');
        if (troubled.length && troubled.every((i) => i.starting)) continue;
        const holds = rule.flapping ? s.flapping : hits(s.status);
        if (!holds) continue;
        const causes = s.causes.filter((c) => !c.startsWith('instance:'));
        out.push(candidate(rule, { service: s.name }, { output: s.output ?? '', status: s.status }, causes, provides(`service:${s.name}`)));
      }
      break;
    case 'dependency':
      for (const c of ctx.snapshot.rootCauses) {
        if (!c.primary || !hits(c.status)) continue;
        out.push(candidate(rule, { dependency: c.dependency }, { summary: c.summary, services: c.services.join(', '), instances: String(c.instances.length) }, [], provides(c.dependency)));
      }
      break;
    case 'venue':
      for (const v of ctx.venues) {
        if (!hits(v.health)) continue;
        // A venue whose every gateway is failing is down because of them: blamed on (and inhibited by) their alerts.
        const gateways = ctx.snapshot.instances.filter((i) => v.instances.includes(i.key));
        const blamed = gateways.length > 0 && gateways.every((i) => i.status === 'fail');
        const causes = blamed ? [...new Set(gateways.flatMap((i) => [`instance:${i.key}`, `service:${i.service}`]))] : [];
        out.push(candidate(rule, { venue: v.venue }, { symbols: String(v.symbols) }, causes, provides(`venue:${v.venue}`)));
      }
      break;
    case 'component':
      for (const i of ctx.snapshot.instances) {
        if (i.stopping || i.starting || !inScope(i.service)) continue;
        for (const c of i.components) {
          const holds = rule.flapping ? c.flapping : hits(c.status) && !c.flapping;
          if (!holds) continue;
          const causes = [...(c.dependency ? [c.dependency] : []), `instance:${i.key}`, `service:${i.service}`];
          out.push(candidate(rule, { service: i.service, instance: i.instance, component: c.name }, { output: c.output ?? '' }, causes, []));
        }
      }
      break;
  }
  return out;
}

/** Series a threshold rule can use that the monitor derives itself (no scrape needed). */
function derivedSeries(metric: string, ctx: EvalContext): ScrapedSeries[] | undefined {
  const feed = (pick: (f: FeedView) => number | null) =>
    ctx.feeds.flatMap((f) => {
      const v = pick(f);
      return v === null ? [] : [{ instanceKey: f.instances[0] ?? '', service: (f.instances[0] ?? '').split('/')[0] ?? '', labels: { venue: f.venue, symbol: f.symbol }, value: v, time: ctx.now }];
    });
  switch (metric) {
    case 'feed_age_seconds':
      return feed((f) => (f.ageMs === null ? null : f.ageMs / 1000));
    case 'feed_rate':
      return feed((f) => f.rate);
    case 'feed_latency_ms':
      return feed((f) => f.latencyMs);
    case 'instance_response_ms':
      return ctx.snapshot.instances.flatMap((i) =>
        i.responseMs === null ? [] : [{ instanceKey: i.key, service: i.service, labels: { service: i.service, instance: i.instance }, value: i.responseMs, time: ctx.now }],
      );
    default:
      return undefined;
  }
}

function seriesCandidates(rule: Rule & { match: Record<string, string>; op: string; value: number }, series: ScrapedSeries[]): Candidate[] {
  const out: Candidate[] = [];
  for (const s of series) {
    if (Object.entries(rule.match).some(([k, v]) => s.labels[k] !== v)) continue;
    if (!(OPS[rule.op] as (a: number, b: number) => boolean)(s.value, rule.value)) continue;
    const [service, instance] = s.instanceKey.split('/');
    const subject: Record<string, string> = { ...(service ? { service } : {}), ...(instance ? { instance } : {}), ...s.labels };
    const causes = s.instanceKey ? [`instance:${s.instanceKey}`, `service:${service}`] : [];
    if (subject['venue']) causes.push(`venue:${subject['venue']}`);
    out.push(candidate(rule, subject, {}, causes, [], s.value));
  }
  return out;
}

/** Every rule against one context: the subjects for which its condition holds now. */
export function evaluateRules(rules: Rule[], ctx: EvalContext): Candidate[] {
  const out: Candidate[] = [];
  for (const rule of rules) {
    switch (rule.kind) {
      case 'health':
        out.push(...healthCandidates(rule, ctx));
        break;
      case 'threshold':
        out.push(...seriesCandidates(rule, derivedSeries(rule.metric, ctx) ?? ctx.metrics.values(rule.metric)));
        break;
      case 'rate':
        out.push(...seriesCandidates(rule, ctx.metrics.rates(rule.metric, rule.window, ctx.now)));
        break;
      case 'anomaly': {
        const anomalies = [...ctx.feeds.flatMap((f) => f.anomalies), ...ctx.instanceAnomalies];
        for (const a of anomalies) {
          if (a.detector !== rule.detector || (rule.subject && a.subject !== rule.subject)) continue;
          out.push(candidate(rule, a.labels, { message: a.message, expected: fmt(a.expected) }, a.causes, [], a.value));
        }
        break;
      }
    }
  }
  return out;
}
