import { ResilienceRegistry } from '@cryptoscalp/circuit-breaker';
import { baseEnv, httpPort, loadConfig, natsEnv } from '@cryptoscalp/config';
import { INFRA, testNamespace, waitFor } from '@cryptoscalp/testing';

import { hostname } from 'node:os';
import { Controller, type DynamicModule, Injectable, Module } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { connect, type NatsConnection } from 'nats';
import { z } from 'zod';

import { type StartedService, startService } from './bootstrap';
import { PlatformModule } from './platform.module';

const schema = z.object({ ...baseEnv, ...natsEnv, HTTP_PORT: httpPort(3999) });
const ns = testNamespace('pl');
const ECHO = `${ns.subjectPrefix}cache.echo`;

/** A query API as cache-service will have one: request-reply in the `q.<service>` queue group. */
@Controller()
class EchoController {
  static handled = 0;
  @MessagePattern(ECHO)
  echo(data: { n: number }): { n: number } {
    EchoController.handled++;
    return { n: data.n };
  }
}

@Injectable()
class Trippable {
  readonly policy;
  constructor(registry: ResilienceRegistry) {
    this.policy = registry.create('downstream', {
      breaker: { window: { kind: 'consecutive', failures: 2 }, halfOpenAfterMs: 60_000, critical: true },
    });
  }
}

@Module({})
class SpecModule {
  static forRoot(env: Record<string, string>): DynamicModule {
    const config = loadConfig(schema, { env });
    return {
      module: SpecModule,
      imports: [PlatformModule.forRoot({ service: 'spec-service', config })],
      controllers: [EchoController],
      providers: [Trippable],
    };
  }
}

const env = (instance: string, extra: Record<string, string> = {}) => ({
  HTTP_PORT: '1',
  INSTANCE_ID: instance,
  NATS_URL: INFRA.natsUrl,
  NATS_SUBJECT_PREFIX: ns.subjectPrefix,
  SHUTDOWN_DRAIN_MS: '0',
  LOG_LEVEL: 'silent',
  HEARTBEAT_INTERVAL_MS: '200',
  ...extra,
});

describe('PlatformModule (in process, real NATS)', () => {
  let svc: StartedService;
  let svc2: StartedService;
  let nc: NatsConnection;

  beforeAll(async () => {
    nc = await connect({ servers: INFRA.natsUrl });
    // Two replicas of one service in this process; the second with PUBLIC_URL and CORS_ORIGINS set.
    svc = await startService(SpecModule.forRoot(env('p1')), { logs: false, port: 0 });
    svc2 = await startService(
      SpecModule.forRoot(env('p2', { PUBLIC_URL: 'http://spec-2.internal:8080/', CORS_ORIGINS: 'https://ops.example, https://b.example' })),
      { logs: false, port: 0 },
    );
  });

  afterAll(async () => {
    await svc?.shutdown();
    await svc2?.shutdown();
    await nc.close();
  });

  const request = async (subject: string, data: unknown, id: string) =>
    (await nc.request(subject, JSON.stringify({ pattern: subject, data, id }), { timeout: 2000 })).json<Record<string, any>>();

  it('a query subject is answered once per request across two replicas (queue group); per-instance subjects reach their instance', async () => {
    await waitFor(async () => (await request(ECHO, { n: -1 }, 'warmup')).response?.n === -1, 10_000);
    await waitFor(async () => (await request(`${ns.subjectPrefix}svc.status.spec-service.p2`, {}, 'w2')).response, 10_000);
    EchoController.handled = 0;
    const answers: number[] = [];
    for (let i = 0; i < 100; i++) answers.push((await request(ECHO, { n: i }, `r${i}`)).response.n);
    expect(answers).toEqual(Array.from({ length: 100 }, (_, i) => i));
    await waitFor(() => EchoController.handled >= 100, 5000);
    // A request to each instance's own subject comes back after every message delivered before it.
    const s1 = await request(`${ns.subjectPrefix}svc.status.spec-service.p1`, {}, 's1');
    const s2 = await request(`${ns.subjectPrefix}svc.status.spec-service.p2`, {}, 's2');
    expect(s1.response.serviceId).toBe('spec-service/p1');
    expect(s2.response.serviceId).toBe('spec-service/p2');
    expect(EchoController.handled).toBe(100);
  });

  it('a payload that does not decode is counted and dropped (an error reply for a request); the service carries on', async () => {
    const subject = `${ns.subjectPrefix}svc.status.spec-service.p1`;
    nc.publish(subject, 'hello');
    const reply = (await nc.request(subject, 'hello', { timeout: 2000 })).json<{ err: string }>();
    expect(reply.err).toMatch(/^invalid request: not JSON/);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/cs_nats_messages_dropped_total\{[^}]*subject_group="svc.status"[^}]*reason="invalid"[^}]*\} 2/);
    expect((await request(subject, {}, 'after')).response.serviceId).toBe('spec-service/p1');
  });

  it('heartbeats advertise http://<hostname>:<bound port>, or PUBLIC_URL when set', async () => {
    const port = Number(new URL(svc.url).port);
    expect(port).toBeGreaterThan(1);
    const beats = nc.subscribe(`${ns.subjectPrefix}svc.heartbeat.spec-service.*`);
    const urls = new Map<string, string>();
    for await (const m of beats) {
      const hb = m.json<{ instance: string; healthUrl: string }>();
      urls.set(hb.instance, hb.healthUrl);
      if (urls.size === 2) break;
    }
    expect(urls.get('p1')).toBe(`http://${hostname()}:${port}/health`);
    expect(urls.get('p2')).toBe('http://spec-2.internal:8080/health');
    expect(svc.publicUrl).toBe(`http://${hostname()}:${port}`);
  });

  it('sends no x-powered-by and no CORS headers by default; CORS only for the configured origins', async () => {
    const plain = await fetch(`${svc.url}/health/liveness`, { headers: { Origin: 'https://evil.example' } });
    expect(plain.headers.get('x-powered-by')).toBeNull();
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
    const allowed = await fetch(`${svc2.url}/health/liveness`, { headers: { Origin: 'https://b.example' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://b.example');
    const other = await fetch(`${svc2.url}/health/liveness`, { headers: { Origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('x-powered-by')).toBeNull();
  });

  it('an open critical breaker makes readiness fail and publishes a breaker event', async () => {
    await waitFor(async () => (await fetch(`${svc.url}/health/readiness`)).status === 200);
    const events = nc.subscribe(`${ns.subjectPrefix}svc.event.spec-service.breaker`, { max: 1 });
    await nc.flush(); // the subscription is on the server before the event can be published
    const { policy } = svc.app.get(Trippable);
    for (let i = 0; i < 2; i++) await policy.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    for await (const m of events) {
      expect(m.json()).toMatchObject({
        v: 1,
        service: 'spec-service',
        instance: 'p1',
        kind: 'breaker',
        severity: 'warn',
        data: { name: 'downstream', state: 'open' },
      });
    }
    const res = await fetch(`${svc.url}/health/readiness`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { checks: Record<string, { status: string; output: string }[]> };
    expect(body.checks['breakers:open'][0]).toMatchObject({ status: 'fail', output: 'downstream open' });
  });
});
