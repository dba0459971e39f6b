import { builtMain, freePort, getJson, INFRA, type SpawnedService, spawnService, testNamespace, waitFor } from '@cryptoscalp/testing';

import { connect, type NatsConnection } from 'nats';

// Defect: five bytes `hello` on the monitor's status subject ended the process (unhandled
// rejection in Nest's NATS deserializer). Against the production build and the real NATS.
describe('monitor survives bad NATS input (production build, real NATS)', () => {
  const ns = testNamespace('bad');
  let nc: NatsConnection;
  let svc: SpawnedService;

  beforeAll(async () => {
    nc = await connect({ servers: INFRA.natsUrl });
    svc = spawnService(
      builtMain('monitor'),
      { INSTANCE_ID: 'mon-bad', LOG_LEVEL: 'debug', NATS_URL: INFRA.natsUrl, NATS_SUBJECT_PREFIX: ns.subjectPrefix },
      await freePort(),
    );
    await waitFor(async () => (await getJson(`${svc.url}/health/readiness`)).status === 200, 20_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${svc.output()}`);
    });
  });

  afterAll(async () => {
    await svc?.stop();
    await nc?.close();
  });

  it('counts, logs truncated and drops `hello` on svc.status, answers a bad request with an error, and keeps running', async () => {
    const subject = `${ns.subjectPrefix}svc.status.monitor.mon-bad`;
    nc.publish(subject, 'hello');
    nc.publish(subject, `{"pattern":${'x'.repeat(10_000)}`);
    const reply = (await nc.request(subject, 'hello', { timeout: 3000 })).json<{ err: string }>();
    expect(reply.err).toMatch(/^invalid request: not JSON/);
    // Still the same process, still answering over NATS and HTTP.
    const ok = (await nc.request(subject, JSON.stringify({ pattern: subject, data: {}, id: 'r1' }), { timeout: 3000 })).json<{
      id: string;
      response: { serviceId: string };
    }>();
    expect(ok).toMatchObject({ id: 'r1', response: { serviceId: 'monitor/mon-bad' } });
    expect(svc.child.exitCode).toBeNull();
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/cs_nats_messages_dropped_total\{[^}]*subject_group="svc.status"[^}]*reason="invalid"[^}]*\} 3/);
    const logged = await waitFor(
      () =>
        svc
          .output()
          .split('\n')
          .find((l) => l.includes('dropped invalid message')),
      5000,
    );
    // Truncated: the 10 kB payload never reaches the log.
    expect(svc.output()).not.toContain('x'.repeat(300));
    expect(logged).toContain(subject);
  });

  it('sends no x-powered-by and no CORS header by default, and logs probe requests at debug', async () => {
    const res = await fetch(`${svc.url}/health/liveness`, { headers: { Origin: 'https://elsewhere.example' } });
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    await fetch(`${svc.url}/api/instances`);
    const lines = await waitFor(() => {
      const parsed = svc
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: number; req?: { url: string } });
      const probe = parsed.find((l) => l.req?.url === '/health/liveness');
      const api = parsed.find((l) => l.req?.url === '/api/instances');
      return probe && api ? { probe, api } : undefined;
    }, 5000);
    expect(lines.probe.level).toBe(20); // pino debug
    expect(lines.api.level).toBe(30); // pino info
  });
});
