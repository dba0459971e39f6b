import type { HealthSnapshot, InstanceView, RootCause } from '../aggregation/health.types';
import type { Notification } from '../channels/channel.types';
import type { Silence } from './alert.types';
import { AlertEngine } from './alert-engine';
import { Notifier } from './notifier';
import { type EvalContext, evaluateRules } from './rule-evaluator';
import { AlertingConfigSchema } from './rules.schema';

const config = AlertingConfigSchema.parse({
  rules: [
    { name: 'DependencyDown', kind: 'health', scope: 'dependency', annotations: { summary: '{{summary}}' } },
    { name: 'ServiceDown', kind: 'health', scope: 'service' },
    { name: 'InstanceDown', kind: 'health', scope: 'instance', for: '2s', labels: { severity: 'critical' }, annotations: { summary: '{{service}}/{{instance}}: {{output}}' } },
    { name: 'Flapping', kind: 'health', scope: 'instance', flapping: true },
  ],
  route: { receiver: 'hook', groupBy: ['alertname', 'service'], groupWait: '1s', groupInterval: '5s', repeatInterval: '1h' },
  receivers: [{ name: 'hook' }],
});

const inst = (service: string, instance: string, status: 'pass' | 'fail', causes: string[] = [], flapping = false): InstanceView => ({
  key: `${service}/${instance}`,
  service,
  instance,
  version: '1',
  healthUrl: '',
  source: 'heartbeat',
  status,
  since: 0,
  reportedStatus: status,
  stale: false,
  stopping: false,
  starting: false,
  reachable: true,
  flapping,
  responseMs: 1,
  lastCheck: 0,
  lastSeen: 0,
  startedAt: 0,
  ...(status === 'fail' ? { output: 'broken' } : {}),
  components: [],
  causes,
});

function snapshot(instances: InstanceView[], rootCauses: RootCause[] = [], time = 0): HealthSnapshot {
  const services = [...new Set(instances.map((i) => i.service))].map((name) => {
    const list = instances.filter((i) => i.service === name);
    const serving = list.filter((i) => i.status !== 'fail').length;
    return {
      name,
      status: serving === 0 ? ('fail' as const) : serving < list.length ? ('warn' as const) : ('pass' as const),
      since: 0,
      instances: { total: list.length, pass: serving, warn: 0, fail: list.length - serving },
      flapping: false,
      causes: [...new Set(list.filter((i) => i.status === 'fail').flatMap((i) => i.causes))],
    };
  });
  return { time, status: 'pass', services, instances, rootCauses };
}

function harness() {
  const engine = new AlertEngine(config.inhibit, config.keepResolved);
  const sent: Notification[] = [];
  const notifier = new Notifier(config.route, { externalUrl: 'http://mon', sendResolved: () => true, deliver: (_r, n) => sent.push(n) });
  const step = (snap: HealthSnapshot, now: number, silences: Silence[] = []) => {
    const ctx: EvalContext = { now, snapshot: snap, feeds: [], venues: [], instanceAnomalies: [], metrics: { values: () => [], rates: () => [] } };
    const alerts = engine.evaluate(evaluateRules(config.rules, ctx), silences, now);
    notifier.process(alerts, now);
    return alerts;
  };
  return { step, sent };
}

describe('alerting: rules, state machine, grouping, inhibition, silences', () => {
  it('goes pending → firing after `for`, notifies once (after groupWait), then once on resolve', () => {
    const { step, sent } = harness();
    const down = snapshot([inst('cache-service', 'c1', 'fail'), inst('cache-service', 'c2', 'pass')]);
    const up = snapshot([inst('cache-service', 'c1', 'pass'), inst('cache-service', 'c2', 'pass')]);
    expect(step(down, 0)[0]).toMatchObject({ state: 'pending', labels: { alertname: 'InstanceDown', instance: 'c1', severity: 'critical' } });
    expect(step(down, 1999)[0]?.state).toBe('pending');
    expect(step(down, 2000)[0]).toMatchObject({ state: 'firing', annotations: { summary: 'cache-service/c1: broken' } });
    step(down, 2500);
    expect(sent).toEqual([]); // group wait
    for (let t = 3000; t < 60_000; t += 500) step(down, t);
    expect(sent.map((n) => [n.status, n.alerts.map((a) => a.status)])).toEqual([['firing', ['firing']]]);
    step(up, 60_000);
    step(up, 60_500);
    expect(sent.map((n) => n.status)).toEqual(['firing', 'resolved']);
    expect(sent[1]?.alerts[0]).toMatchObject({ status: 'resolved', labels: { instance: 'c1' }, endsAt: new Date(60_000).toISOString() });
  });

  it('sends one notification for alerts that arrive together in a group, and repeats after repeatInterval', () => {
    const { step, sent } = harness();
    const s = snapshot([inst('cache-service', 'c1', 'fail'), inst('cache-service', 'c2', 'fail'), inst('cache-service', 'c3', 'pass')]);
    for (let t = 0; t <= 5000; t += 500) step(s, t);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.alerts.map((a) => a.labels['instance'])).toEqual(['c1', 'c2']);
    expect(sent[0]?.groupLabels).toEqual({ alertname: 'InstanceDown', service: 'cache-service' });
    step(s, 3_000 + 3_600_000);
    expect(sent).toHaveLength(2);
  });

  it('a dependency outage notifies one root-cause alert; what it causes is inhibited (and its service alert too)', () => {
    const { step, sent } = harness();
    const nats: RootCause = { dependency: 'nats', status: 'fail', instances: ['a/1', 'b/1'], services: ['a', 'b'], primary: true, summary: 'nats is down' };
    const s = snapshot([inst('a', '1', 'fail', ['nats']), inst('b', '1', 'fail', ['nats'])], [nats]);
    let alerts = step(s, 0);
    for (let t = 500; t <= 10_000; t += 500) alerts = step(s, t);
    expect(sent.flatMap((n) => n.alerts.map((a) => a.labels['alertname']))).toEqual(['DependencyDown']);
    const dep = alerts.find((a) => a.rule === 'DependencyDown');
    const inhibited = alerts.filter((a) => a.rule !== 'DependencyDown');
    expect(inhibited.map((a) => `${a.rule} ${a.labels['service']}`).sort()).toEqual(['InstanceDown a', 'InstanceDown b', 'ServiceDown a', 'ServiceDown b']);
    for (const a of inhibited) expect(a.inhibitedBy).toContain(dep?.fingerprint);
  });

  it('a venue down is one VenueDown notification; its per-symbol staleness alerts are inhibited', () => {
    const rules = AlertingConfigSchema.parse({
      rules: [
        { name: 'VenueDown', kind: 'health', scope: 'venue' },
        { name: 'FeedStale', kind: 'anomaly', detector: 'staleness' },
      ],
    }).rules;
    const engine = new AlertEngine([], 60_000);
    const stale = (symbol: string) => ({
      detector: 'staleness' as const,
      subject: 'feed' as const,
      labels: { venue: 'kraken', symbol },
      message: `kraken ${symbol} stale`,
      value: 9000,
      expected: 5000,
      since: 0,
      causes: ['venue:kraken', 'instance:market-data-gateway/g1', 'service:market-data-gateway'],
    });
    const feeds = ['BTC-USD', 'ETH-USD', 'SOL-USD'].map((symbol) => ({ key: `kraken/${symbol}`, venue: 'kraken', symbol, state: 'connected', health: 'warn' as const, lastMessageAt: 0, ageMs: 9000, rate: 0, rates: {}, seq: null, latencyMs: null, counters: {}, instances: [], anomalies: [stale(symbol)], updatedAt: 0 }));
    const ctx: EvalContext = {
      now: 0,
      snapshot: snapshot([]),
      feeds,
      venues: [{ venue: 'kraken', health: 'fail', symbols: 3, pass: 0, warn: 3, fail: 0, rate: 0, instances: ['market-data-gateway/g1'] }],
      instanceAnomalies: [],
      metrics: { values: () => [], rates: () => [] },
    };
    const alerts = engine.evaluate(evaluateRules(rules, ctx), [], 0);
    const venue = alerts.find((a) => a.rule === 'VenueDown');
    expect(venue).toMatchObject({ state: 'firing', labels: { venue: 'kraken' }, inhibitedBy: [] });
    const symbols = alerts.filter((a) => a.rule === 'FeedStale');
    expect(symbols).toHaveLength(3);
    for (const a of symbols) expect(a.inhibitedBy).toEqual([venue?.fingerprint]);
  });

  it('venues down because their only gateway died are blamed on it: one ServiceDown notification, VenueDown inhibited', () => {
    const rules = AlertingConfigSchema.parse({
      rules: [
        { name: 'ServiceDown', kind: 'health', scope: 'service' },
        { name: 'InstanceDown', kind: 'health', scope: 'instance' },
        { name: 'VenueDown', kind: 'health', scope: 'venue' },
      ],
    }).rules;
    const engine = new AlertEngine([], 60_000);
    const sent: Notification[] = [];
    const notifier = new Notifier(config.route, { externalUrl: 'http://mon', sendResolved: () => true, deliver: (_r, n) => sent.push(n) });
    const venue = (name: string) => ({ venue: name, health: 'fail' as const, symbols: 2, pass: 0, warn: 2, fail: 0, rate: 0, instances: ['market-data-gateway/g1'] });
    const ctx = (status: 'pass' | 'fail'): EvalContext => ({
      now: 0,
      snapshot: snapshot([inst('market-data-gateway', 'g1', status), inst('cache-service', 'c1', 'pass')]),
      feeds: [],
      venues: [venue('kraken'), venue('okx')],
      instanceAnomalies: [],
      metrics: { values: () => [], rates: () => [] },
    });
    for (let t = 0; t <= 10_000; t += 500) notifier.process(engine.evaluate(evaluateRules(rules, ctx('fail')), [], t), t);
    expect(sent.flatMap((n) => n.alerts.map((a) => `${a.labels['alertname']} ${a.labels['service'] ?? a.labels['venue']}`))).toEqual(['ServiceDown market-data-gateway']);

    // With the gateway passing, a venue down is the venue's own problem: alerted.
    const alive = new AlertEngine([], 60_000).evaluate(evaluateRules(rules, ctx('pass')), [], 0);
    expect(alive.filter((a) => a.rule === 'VenueDown').map((a) => [a.labels['venue'], a.inhibitedBy])).toEqual([
      ['kraken', []],
      ['okx', []],
    ]);
  });

  it('the only instance of a service going down is one alert (the service), not two', () => {
    const { step, sent } = harness();
    const s = snapshot([inst('db-proxy', 'd1', 'fail')]);
    for (let t = 0; t <= 10_000; t += 500) step(s, t);
    expect(sent.flatMap((n) => n.alerts.map((a) => a.labels['alertname']))).toEqual(['ServiceDown']);
  });

  it('a silenced alert is not notified; a flapping instance alerts once as flapping, not on every change', () => {
    const { step, sent } = harness();
    const silence: Silence = {
      id: 's1',
      kind: 'silence',
      matchers: [{ name: 'service', value: 'cache-.*', isRegex: true, isEqual: true }],
      startsAt: 0,
      endsAt: 100_000,
      createdBy: 't',
      comment: '',
      createdAt: 0,
    };
    const s = snapshot([inst('cache-service', 'c1', 'fail'), inst('cache-service', 'c2', 'pass')]);
    let alerts = step(s, 0, [silence]);
    for (let t = 500; t <= 10_000; t += 500) alerts = step(s, t, [silence]);
    expect(alerts.find((a) => a.rule === 'InstanceDown')).toMatchObject({ state: 'firing', silencedBy: ['s1'] });
    expect(sent).toEqual([]);

    const flappy = snapshot([inst('x', '1', 'fail', [], true), inst('x', '2', 'pass')]);
    for (let t = 20_000; t <= 30_000; t += 500) step(flappy, t);
    expect(sent.flatMap((n) => n.alerts.map((a) => a.labels['alertname']))).toEqual(['Flapping']);
  });
});
