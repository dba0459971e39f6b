import { builtMain, freePort, getJson, INFRA, type SpawnedService, spawnService, testNamespace, waitFor } from '@cryptoscalp/testing';

import { connect, type NatsConnection } from 'nats';

describe('monitor discovery (production build, real NATS)', () => {
  const ns = testNamespace('disc');
  let nc: NatsConnection;
  let svc: SpawnedService;

  beforeAll(async () => {
    nc = await connect({ servers: INFRA.natsUrl });
    svc = spawnService(
      builtMain('monitor'),
      {
        INSTANCE_ID: 'mon-1',
        LOG_LEVEL: 'warn',
        NATS_URL: INFRA.natsUrl,
        NATS_SUBJECT_PREFIX: ns.subjectPrefix,
        HEARTBEAT_INTERVAL_MS: '200',
        MONITOR_STALE_AFTER_MS: '1000',
      },
      await freePort(),
    );
    await waitFor(async () => (await getJson(`${svc.url}/health/readiness`)).status === 200, 15_000);
  });

  afterAll(async () => {
    await svc?.stop();
    await nc?.close();
  });

  it('lists every instance it hears from (itself included), rejects malformed heartbeats, and marks silent ones stale', async () => {
    const hb = {
      v: 1,
      service: 'cache-service',
      instance: 'c-9',
      version: '0.1.0',
      healthUrl: 'http://c-9:3002/health',
      status: 'warn',
      startedAt: 1,
      time: Date.now(),
    };
    nc.publish(`${ns.subjectPrefix}svc.heartbeat.cache-service.c-9`, JSON.stringify(hb));
    nc.publish(`${ns.subjectPrefix}svc.heartbeat.cache-service.bad`, '{"v":1,"service":');
    const listed = await waitFor(async () => {
      const r = await getJson(`${svc.url}/api/instances`);
      const names = r.body.instances.map((i: { instance: string }) => i.instance);
      return names.includes('c-9') && names.includes('mon-1') ? r.body.instances : undefined;
    });
    expect(listed.find((i: { instance: string }) => i.instance === 'c-9')).toMatchObject({
      service: 'cache-service',
      status: 'warn',
      stale: false,
    });
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/cs_monitor_invalid_heartbeats_total\{[^}]*\} 1/);
    // c-9 says nothing more: after MONITOR_STALE_AFTER_MS it is shown as stale/fail.
    const stale = await waitFor(async () => {
      const r = await getJson(`${svc.url}/api/instances`);
      const c9 = r.body.instances.find((i: { instance: string }) => i.instance === 'c-9');
      return c9?.stale ? c9 : undefined;
    }, 5000);
    expect(stale).toMatchObject({ status: 'fail', reportedStatus: 'warn' });
  });
});
