import { getJson, type SpawnedService, testNamespace, waitFor } from '@cryptoscalp/testing';

import { connect, type NatsConnection } from 'nats';

import { API_TOKEN, control, evaluationsPass, instanceStatus, Receiver, startFake, startMonitor, testRules, writeRules } from '../testing/monitor-harness';

/**
 * The "proven by tests", against the production build, real NATS and Postgres, stand-in
 * instances in their own processes and a real webhook receiver.
 */
describe('monitor: kill, silence, stale feed (production build, real NATS)', () => {
  const ns = testNamespace('mon');
  const hook = new Receiver();
  let monitor: SpawnedService;
  let nc: NatsConnection;
  const fakes: SpawnedService[] = [];

  beforeAll(async () => {
    await hook.start();
    nc = await connect({ servers: process.env['TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222' });
    monitor = await startMonitor({
      INSTANCE_ID: 'mon-a',
      NATS_SUBJECT_PREFIX: ns.subjectPrefix,
      POSTGRES_SCHEMA: ns.schema,
      MONITOR_RULES_FILE: writeRules(testRules(hook.url)),
      MONITOR_FEED_STALE_AFTER_MS: '1500',
    });
  }, 30_000);

  afterAll(async () => {
    await Promise.all(fakes.map((f) => f.stop('SIGKILL')));
    await monitor?.stop();
    await nc?.close();
    await hook.stop();
  });

  const firing = (alertname: string, label: string, value: string) =>
    hook.received.flatMap((r) => r.body.alerts).filter((a: any) => a.status === 'firing' && a.labels.alertname === alertname && a.labels[label] === value);

  it('a killed instance is fail within 3 s and raises exactly one alert; back up, one resolved notification', async () => {
    const c1 = await startFake({ prefix: ns.subjectPrefix, service: 'cache-service', instance: 'c1' });
    const c2 = await startFake({ prefix: ns.subjectPrefix, service: 'cache-service', instance: 'c2' });
    fakes.push(c1, c2);
    await waitFor(async () => (await instanceStatus(monitor.url, 'c1')) === 'pass' && (await instanceStatus(monitor.url, 'c2')) === 'pass', 15_000);

    const killedAt = Date.now();
    await c1.stop('SIGKILL');
    await waitFor(async () => (await instanceStatus(monitor.url, 'c1')) === 'fail', 5000, 25);
    expect(Date.now() - killedAt).toBeLessThan(3000);
    const svc = await getJson(`${monitor.url}/api/services/cache-service`);
    expect(svc.body.service).toMatchObject({ status: 'warn', instances: { total: 2, pass: 1, fail: 1 } });

    await waitFor(() => firing('InstanceDown', 'instance', 'c1').length > 0, 10_000);
    await evaluationsPass(monitor.url, 12); // ≥ 3 s more of evaluations: no repeat, no second alert
    const cacheAlerts = hook.alerts().filter((a) => a.labels['service'] === 'cache-service');
    expect(cacheAlerts).toEqual([expect.objectContaining({ status: 'firing', labels: expect.objectContaining({ alertname: 'InstanceDown', instance: 'c1' }) })]);

    const again = await startFake({ prefix: ns.subjectPrefix, service: 'cache-service', instance: 'c1' });
    fakes.push(again);
    await waitFor(() => hook.alerts().some((a) => a.status === 'resolved' && a.labels['instance'] === 'c1'), 15_000);
    await evaluationsPass(monitor.url, 8);
    expect(hook.alerts().filter((a) => a.labels['service'] === 'cache-service').map((a) => `${a.labels['alertname']} ${a.labels['instance']} ${a.status}`)).toEqual([
      'InstanceDown c1 firing',
      'InstanceDown c1 resolved',
    ]);
    expect(await instanceStatus(monitor.url, 'c1')).toBe('pass');
  }, 60_000);

  it('an instance that shuts down cleanly (readiness draining, then gone) disappears without an alert', async () => {
    // A real platform service (another monitor build) as the instance: SIGTERM drains, then exits 0.
    const other = await startMonitor({ INSTANCE_ID: 'mon-b', NATS_SUBJECT_PREFIX: ns.subjectPrefix, POSTGRES_SCHEMA: `${ns.schema}b`, SHUTDOWN_DRAIN_MS: '1500', MONITOR_HISTORY: 'false' });
    await waitFor(async () => (await instanceStatus(monitor.url, 'mon-b')) === 'pass', 20_000);
    expect(await other.stop('SIGTERM')).toBe(0);
    await waitFor(async () => (await instanceStatus(monitor.url, 'mon-b')) === undefined, 10_000);
    await evaluationsPass(monitor.url, 8);
    expect(await instanceStatus(monitor.url, 'mon-b')).toBeUndefined();
    expect(hook.alerts().filter((a) => a.labels['instance'] === 'mon-b' || a.labels['service'] === 'monitor')).toEqual([]);
    const alerts = (await getJson(`${monitor.url}/api/alerts`)).body.alerts;
    expect(alerts.filter((a: any) => a.labels.instance === 'mon-b')).toEqual([]);
  }, 60_000);

  it('write endpoints need the bearer token; a silence stops notifications', async () => {
    const body = { matchers: [{ name: 'service', value: 'db-proxy' }], duration: '10m', comment: 'planned failover test', createdBy: 'jest' };
    const post = (b: unknown, token?: string) =>
      fetch(`${monitor.url}/api/silences`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(b),
      });
    expect((await post(body)).status).toBe(401);
    expect((await post(body, 'wrong-token-wrong-token-12')).status).toBe(401);
    const bad = await post({ ...body, duration: 'soon', matchers: [] }, API_TOKEN);
    expect(bad.status).toBe(400);
    const problems = ((await bad.json()) as any).problems.map((p: { parameter: string }) => p.parameter);
    expect(problems).toEqual(expect.arrayContaining(['duration', 'matchers']));
    const created = await post(body, API_TOKEN);
    expect(created.status).toBe(201);
    const silence = (await created.json()) as { id: string };

    const d1 = await startFake({ prefix: ns.subjectPrefix, service: 'db-proxy', instance: 'd1' });
    fakes.push(d1);
    await waitFor(async () => (await instanceStatus(monitor.url, 'd1')) === 'pass', 15_000);
    await d1.stop('SIGKILL');
    const silenced = await waitFor(async () => {
      const r = await getJson(`${monitor.url}/api/alerts?state=firing`);
      const a = r.body.alerts.filter((x: any) => x.labels.service === 'db-proxy');
      return a.length >= 2 ? a : undefined; // ServiceDown (the only instance) and InstanceDown
    }, 10_000);
    for (const a of silenced) expect(a.silencedBy).toEqual([silence.id]);
    await evaluationsPass(monitor.url, 12);
    expect(hook.alerts().filter((a) => a.labels['service'] === 'db-proxy')).toEqual([]);
    const listed = await getJson(`${monitor.url}/api/silences`);
    expect(listed.body.silences.map((s: { id: string }) => s.id)).toContain(silence.id);
  }, 60_000);

  it('a stalled feed raises a staleness warning (and only for that symbol); md.status updates the state', async () => {
    const g1 = await startFake({
      prefix: ns.subjectPrefix,
      service: 'market-data-gateway',
      instance: 'g1',
      symbols: ['binance:BTC-USDT', 'binance:ETH-USDT', 'okx:BTC-USDT'],
    });
    fakes.push(g1);
    await waitFor(async () => {
      const r = await getJson(`${monitor.url}/api/feeds`);
      return r.body.feeds.length === 3 && r.body.feeds.every((f: any) => f.health === 'pass' && f.rate > 0);
    }, 15_000);

    await control(g1, { stall: 'binance:ETH-USDT' });
    const stale = await waitFor(async () => {
      const r = await getJson(`${monitor.url}/api/feeds?venue=binance`);
      return r.body.feeds.find((f: any) => f.symbol === 'ETH-USDT' && f.health === 'warn');
    }, 10_000);
    expect(stale.anomalies).toEqual([expect.objectContaining({ detector: 'staleness', labels: { venue: 'binance', symbol: 'ETH-USDT' } })]);
    expect(stale.ageMs).toBeGreaterThan(1500);
    await waitFor(() => firing('FeedStale', 'symbol', 'ETH-USDT').length > 0, 10_000);
    const feedAlerts = hook.alerts().filter((a) => a.labels['alertname'] === 'FeedStale');
    expect(feedAlerts.map((a) => `${a.labels['venue']}/${a.labels['symbol']}`)).toEqual(['binance/ETH-USDT']);
    const okx = (await getJson(`${monitor.url}/api/feeds?venue=okx`)).body.feeds[0];
    expect(okx).toMatchObject({ symbol: 'BTC-USDT', health: 'pass', state: 'connected' });

    nc.publish(`${ns.subjectPrefix}md.status.okx.BTC-USDT`, JSON.stringify({ v: 1, venue: 'okx', symbol: 'BTC-USDT', state: 'gap', reason: 'seq 7 after 5', ts: Date.now() }));
    nc.publish(`${ns.subjectPrefix}md.status.okx.BTC-USDT`, '{"v":1,"venue":"okx"'); // malformed: counted and dropped
    const gapped = await waitFor(async () => {
      const f = (await getJson(`${monitor.url}/api/feeds?venue=okx`)).body.feeds[0];
      return f.lastStatus?.state === 'gap' ? f : undefined;
    }, 5000);
    expect(gapped.lastStatus).toMatchObject({ reason: 'seq 7 after 5' });
    expect((await getJson(`${monitor.url}/api/feeds?health=maybe`)).status).toBe(400);
  }, 60_000);

  it('serves the aggregate as application/health+json and the merged metrics of every instance on /metrics', async () => {
    const r = await getJson(`${monitor.url}/api/health`);
    expect(r.contentType).toContain('application/health+json');
    expect(r.body.checks['cache-service:instances'][0]).toMatchObject({ componentType: 'service' });
    const text = await waitFor(async () => {
      const t = await (await fetch(`${monitor.url}/metrics`)).text();
      return /cs_fake_latency_seconds_bucket\{[^}]*service="cache-service"/.test(t) ? t : undefined;
    }, 10_000);
    // Two cache-service stand-ins each report 4 observations, 3 of them ≤ 0.1 s: merged, 8 and 6.
    expect(text).toMatch(/cs_fake_latency_seconds_count\{service="cache-service",instance="all"\} 8/);
    expect(text).toMatch(/cs_fake_latency_seconds_bucket\{le="0\.1",service="cache-service",instance="all"\} 6/);
    // The monitor's own metrics are still there, with its own labels.
    expect(text).toMatch(/cs_monitor_polls_total\{[^}]*service="monitor",instance="mon-a"/);
    expect((await getJson(`${monitor.url}/api/uptime?window=2d`)).body.problems).toEqual([{ parameter: 'window', problem: 'expected one of 1h, 24h, 7d, 30d' }]);
    expect((await getJson(`${monitor.url}/api/instances/nope`)).status).toBe(404);
  }, 30_000);
});
