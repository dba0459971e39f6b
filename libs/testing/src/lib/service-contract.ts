import { readFileSync } from 'node:fs';
import { connect, type NatsConnection } from 'nats';

import { CLOSED_PORT, freePort, INFRA, testNamespace, waitFor } from './namespace';
import { killProcess, NATS_SERVER_BIN, startPrivateServer } from './private-server';
import { parsePrometheusText } from './prometheus-text';
import { builtMain, getJson, type SpawnedService, spawnService, waitForHttp } from './spawn-service';

export type Dependency = 'nats' | 'redis' | 'postgres';

export interface ServiceContractOptions {
  /** App name under apps/ (its build output is started). */
  app: string;
  dependencies: Dependency[];
}

const UNREACHABLE: Record<Dependency, Record<string, string>> = {
  nats: { NATS_URL: `nats://127.0.0.1:${CLOSED_PORT}` },
  redis: { REDIS_URL: `redis://127.0.0.1:${CLOSED_PORT}` },
  postgres: { POSTGRES_URL: `postgres://postgres@127.0.0.1:${CLOSED_PORT}/test` },
};

/**
 * The black-box contract every CryptoScalp service honours, run against its production build
 * and the real NATS/Redis/Postgres: boots and becomes ready, fails readiness (503) when a
 * dependency is unreachable, exits 1 on bad config naming the variable, publishes heartbeats,
 * answers its NATS status request, exposes Prometheus metrics, and drains on SIGTERM.
 */
export function describeServiceContract({ app, dependencies }: ServiceContractOptions): void {
  describe(`${app} service contract (production build, real servers)`, () => {
    const ns = testNamespace(app.slice(0, 4));
    const baseEnv = (): Record<string, string> => ({
      INSTANCE_ID: `${ns.id}-1`,
      LOG_LEVEL: 'warn',
      NATS_URL: INFRA.natsUrl,
      NATS_SUBJECT_PREFIX: ns.subjectPrefix,
      REDIS_URL: INFRA.redisUrl,
      REDIS_KEY_PREFIX: ns.keyPrefix,
      POSTGRES_URL: INFRA.postgresUrl,
      POSTGRES_SCHEMA: ns.schema,
      HEARTBEAT_INTERVAL_MS: '300',
      SHUTDOWN_DRAIN_MS: '1500',
    });
    let nc: NatsConnection;
    let svc: SpawnedService | undefined;

    beforeAll(async () => {
      nc = await connect({ servers: INFRA.natsUrl });
    });
    afterAll(async () => {
      await nc?.close();
    });
    afterEach(async () => {
      const code = await svc?.stop('SIGKILL');
      svc = undefined;
      void code;
    });

    async function start(env: Record<string, string>): Promise<SpawnedService> {
      const port = await freePort();
      svc = spawnService(builtMain(app), env, port);
      await Promise.race([
        waitForHttp(`${svc.url}/health/liveness`),
        svc.exited.then((code) => {
          throw new Error(`${app} exited with ${code} before answering HTTP:\n${svc?.output()}`);
        }),
      ]);
      return svc;
    }

    it('becomes ready with the real servers and reports every dependency as pass', async () => {
      const s = await start(baseEnv());
      const ready = await waitFor(async () => {
        const r = await getJson(`${s.url}/health/readiness`);
        return r.status === 200 ? r : undefined;
      }, 15_000).catch((e: Error) => {
        throw new Error(`${e.message}\n${s.output()}`);
      });
      expect(ready.contentType).toContain('application/health+json');
      expect(ready.body.status).toBe('pass');
      for (const dep of dependencies) {
        expect(ready.body.checks[`${dep}:responseTime`][0]).toMatchObject({ componentId: dep, status: 'pass', observedUnit: 'ms' });
      }
      const live = await getJson(`${s.url}/health/liveness`);
      expect(live.status).toBe(200);
      expect(live.body.checks['eventloop:delay'][0].status).toBe('pass');

      const status = await getJson(`${s.url}/health/status`);
      expect(status.body).toMatchObject({ service: app, instance: `${ns.id}-1`, status: 'pass', draining: false });
      expect(status.body.components.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(dependencies));
      const components = await getJson(`${s.url}/health/components`);
      expect(Object.keys(components.body.checks)).toEqual(expect.arrayContaining(dependencies.map((d) => `${d}:responseTime`)));
    });

    it('publishes heartbeats on its namespaced subject and answers its NATS status request', async () => {
      const sub = nc.subscribe(`${ns.subjectPrefix}svc.heartbeat.${app}.>`, { max: 50 });
      const s = await start(baseEnv());
      let beat: Record<string, unknown> | undefined;
      // The first beats may say `fail` while a store is still connecting; then `pass`.
      for await (const m of sub) {
        beat = m.json<Record<string, unknown>>();
        if (beat['status'] === 'pass') break;
      }
      expect(beat).toMatchObject({
        v: 1,
        service: app,
        instance: `${ns.id}-1`,
        status: 'pass',
        healthUrl: expect.stringMatching(/\/health$/),
      });
      // Nest NATS transport protocol: { pattern, data, id } → { id, response, isDisposed }
      const subject = `${ns.subjectPrefix}svc.status.${app}.${ns.id}-1`;
      const reply = await waitFor(async () => {
        const m = await nc.request(subject, JSON.stringify({ pattern: subject, data: {}, id: 'req-1' }), { timeout: 1000 });
        return m.json<{ id: string; response: { status: string; serviceId: string } }>();
      });
      expect(reply.id).toBe('req-1');
      expect(reply.response).toMatchObject({ status: 'pass', serviceId: `${app}/${ns.id}-1` });
      void s;
    });

    it('serves Prometheus metrics that parse, labelled with service and instance', async () => {
      const s = await start(baseEnv());
      for (const path of ['/metrics', '/health/metrics']) {
        const res = await fetch(`${s.url}${path}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toContain('text/plain');
        const families = parsePrometheusText(await res.text());
        const heap = families.find((f) => f.name === 'cs_nodejs_heap_size_used_bytes');
        expect(heap?.metrics[0]?.labels).toMatchObject({ service: app, instance: `${ns.id}-1` });
        expect(families.some((f) => f.name === 'cs_nats_connected')).toBe(true);
      }
    });

    for (const dep of dependencies) {
      it(`reports readiness fail (503) naming ${dep} while ${dep} is unreachable, and stays live`, async () => {
        const s = await start({ ...baseEnv(), ...UNREACHABLE[dep] });
        const ready = await getJson(`${s.url}/health/readiness`);
        expect(ready.status).toBe(503);
        expect(ready.body.status).toBe('fail');
        expect(ready.body.checks[`${dep}:responseTime`][0]).toMatchObject({ status: 'fail', output: expect.any(String) });
        expect(ready.body.output).toContain(dep);
        const live = await getJson(`${s.url}/health/liveness`);
        expect(live.status).toBe(200);
      });
    }

    it('recovers readiness by itself when NATS comes up after the service (private nats-server)', async () => {
      const natsPort = await freePort();
      const s = await start({ ...baseEnv(), NATS_URL: `nats://127.0.0.1:${natsPort}` });
      expect((await getJson(`${s.url}/health/readiness`)).status).toBe(503);
      const server = startPrivateServer(NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', String(natsPort)]);
      try {
        const t0 = Date.now();
        await waitFor(async () => (await getJson(`${s.url}/health/readiness`)).status === 200, 20_000, 50);
        // The first-connect retry backs off to at most 5 s (capped jitter), then one health
        // evaluation: well under 10 s even on a busy machine, far under an uncapped backoff.
        expect(Date.now() - t0).toBeLessThan(10_000);
      } finally {
        await killProcess(server);
      }
    });

    it('ships a production bundle without the test-only libraries (testing helpers, exchange simulator)', () => {
      // The source map lists every module webpack put into main.js.
      const map = JSON.parse(readFileSync(`${builtMain(app)}.map`, 'utf8')) as { sources: string[] };
      const ours = map.sources.filter((source) => /\/libs\/[a-z-]+\/src\//.test(source));
      expect(ours.some((source) => source.includes('/libs/platform/src/'))).toBe(true);
      expect(ours.filter((source) => /\/libs\/(testing|exchange-simulator)\//.test(source))).toEqual([]);
    });

    it('exits with code 1 and one line naming the variable when the config is bad', async () => {
      const port = await freePort();
      const bad = spawnService(builtMain(app), { ...baseEnv(), HEARTBEAT_INTERVAL_MS: 'soon' }, port);
      const code = await bad.exited;
      expect(code).toBe(1);
      const lines = bad.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`${app}: invalid configuration: HEARTBEAT_INTERVAL_MS`);
      expect(lines[0]).toContain('"soon"');
    });

    it('on SIGTERM turns readiness 503 first, drains, then exits 0', async () => {
      const s = await start(baseEnv());
      await waitFor(async () => (await getJson(`${s.url}/health/readiness`)).status === 200, 15_000);
      s.child.kill('SIGTERM');
      const during = await waitFor(
        async () => {
          const r = await getJson(`${s.url}/health/readiness`);
          return r.status === 503 ? r : undefined;
        },
        1000,
        20,
      );
      expect(during.body).toMatchObject({ status: 'fail', output: 'shutting down' });
      expect(await s.exited).toBe(0);
    });
  });
}
