import { freePort, getJson, killProcess, NATS_SERVER_BIN, type SpawnedService, startPrivateServer, testNamespace, waitFor } from '@cryptoscalp/testing';

import type { ChildProcess } from 'node:child_process';
import { Client } from 'pg';

import { evaluationsPass, instanceStatus, Receiver, startFake, startMonitor, testRules, writeRules } from '../testing/monitor-harness';

describe('monitor: a NATS outage is one root-cause alert (private nats-server)', () => {
  const ns = testNamespace('monnats');
  const hook = new Receiver();
  let nats: ChildProcess;
  let natsUrl: string;
  let monitor: SpawnedService;
  const fakes: SpawnedService[] = [];

  beforeAll(async () => {
    await hook.start();
    const port = await freePort();
    natsUrl = `nats://127.0.0.1:${port}`;
    nats = startPrivateServer(NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', String(port)]);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}`).catch((e: Error & { cause?: { code?: string } }) => e.cause?.code)) !== 'ECONNREFUSED', 10_000);
    monitor = await startMonitor({
      INSTANCE_ID: 'mon-n',
      NATS_URL: natsUrl,
      NATS_SUBJECT_PREFIX: ns.subjectPrefix,
      POSTGRES_SCHEMA: ns.schema,
      MONITOR_RULES_FILE: writeRules(testRules(hook.url)),
    });
    for (const [service, instance] of [
      ['cache-service', 'c1'],
      ['cache-service', 'c2'],
      ['db-proxy', 'd1'],
    ] as const) {
      fakes.push(await startFake({ natsUrl, prefix: ns.subjectPrefix, service, instance }));
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(fakes.map((f) => f.stop('SIGKILL')));
    await monitor?.stop('SIGKILL');
    if (nats) await killProcess(nats);
    await hook.stop();
  });

  it('NATS stopped: one DependencyDown(nats) notification, every downstream alert inhibited', async () => {
    await waitFor(async () => {
      for (const i of ['c1', 'c2', 'd1', 'mon-n']) if ((await instanceStatus(monitor.url, i)) !== 'pass') return false;
      return true;
    }, 20_000);
    await killProcess(nats);

    await waitFor(() => hook.alerts().some((a) => a.labels['alertname'] === 'DependencyDown'), 15_000);
    const health = await getJson(`${monitor.url}/api/health`);
    expect(health.status).toBe(503);
    expect(health.body.rootCauses[0]).toMatchObject({ dependency: 'nats', primary: true });
    expect(health.body.output).toMatch(/^nats is down/);
    await evaluationsPass(monitor.url, 16); // ≥ 4 s: heartbeats go stale meanwhile too
    expect(hook.alerts().map((a) => `${a.labels['alertname']} ${a.labels['dependency'] ?? a.labels['service']} ${a.status}`)).toEqual(['DependencyDown nats firing']);
    const alerts = (await getJson(`${monitor.url}/api/alerts?state=firing`)).body.alerts;
    const dep = alerts.find((a: any) => a.labels.alertname === 'DependencyDown');
    const downstream = alerts.filter((a: any) => a !== dep);
    expect(downstream.map((a: any) => a.labels.alertname)).toEqual(expect.arrayContaining(['InstanceDown', 'ServiceDown']));
    for (const a of downstream) expect(a.inhibitedBy).toContain(dep.fingerprint);
  }, 60_000);
});

describe('monitor: history survives a restart (real Postgres)', () => {
  const ns = testNamespace('monhist');
  const pg = new Client({ connectionString: process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test' });
  const started: SpawnedService[] = [];
  const env = () => ({ INSTANCE_ID: 'mon-h', NATS_SUBJECT_PREFIX: ns.subjectPrefix, POSTGRES_SCHEMA: ns.schema });

  beforeAll(() => pg.connect());
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop('SIGKILL')));
    await pg.query(`DROP SCHEMA IF EXISTS "${ns.schema}" CASCADE`);
    await pg.end();
  });

  const checksInDb = async (resolution: string) =>
    Number(
      (await pg.query(`SELECT coalesce(sum(checks), 0) AS n FROM "${ns.schema}".monitor_rollup WHERE resolution = $1 AND service = 'cache-service' AND instance = ''`, [resolution])).rows[0].n,
    );

  it('uptime counted before a restart is still there after it, in minute, hour and day rollups', async () => {
    const fake = await startFake({ prefix: ns.subjectPrefix, service: 'cache-service', instance: 'h1' });
    started.push(fake);
    const first = await startMonitor(env());
    started.push(first);
    const before = await waitFor(async () => {
      const r = await getJson(`${first.url}/api/uptime?service=cache-service&window=1h`);
      return r.status === 200 && r.body.checks >= 12 ? r.body : undefined;
    }, 20_000);
    expect(before.uptime).toBeGreaterThan(0.5);
    expect(await first.stop('SIGTERM')).toBe(0); // flushes on shutdown

    // Independent oracle: what is in the table, read with plain SQL.
    const persisted = await checksInDb('m');
    expect(persisted).toBeGreaterThanOrEqual(before.checks);
    expect(await checksInDb('h')).toBe(persisted);
    expect(await checksInDb('d')).toBe(persisted);

    const second = await startMonitor(env());
    started.push(second);
    const after = await waitFor(async () => {
      const r = await getJson(`${second.url}/api/uptime?service=cache-service&window=30d`);
      return r.status === 200 ? r.body : undefined;
    }, 20_000);
    expect(after.checks).toBeGreaterThanOrEqual(persisted);
    expect(after.buckets).toHaveLength(30);
    const migrations = await pg.query(`SELECT count(*)::int AS n FROM "${ns.schema}".monitor_migrations`);
    expect(migrations.rows[0].n).toBe(1); // applied once, not again on restart
  }, 60_000);
});
