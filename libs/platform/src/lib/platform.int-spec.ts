import { ResilienceRegistry } from '@cryptoscalp/circuit-breaker';
import { baseEnv, httpPort, loadConfig, natsEnv } from '@cryptoscalp/config';
import { INFRA, testNamespace, waitFor } from '@cryptoscalp/testing';

import { type DynamicModule, Injectable, Module } from '@nestjs/common';
import { connect, type NatsConnection } from 'nats';
import { z } from 'zod';

import { type StartedService, startService } from './bootstrap';
import { PlatformModule } from './platform.module';

const schema = z.object({ ...baseEnv, ...natsEnv, HTTP_PORT: httpPort(3999) });

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
      providers: [Trippable],
    };
  }
}

describe('PlatformModule (in process, real NATS)', () => {
  const ns = testNamespace('pl');
  let svc: StartedService;
  let nc: NatsConnection;

  beforeAll(async () => {
    nc = await connect({ servers: INFRA.natsUrl });
    svc = await startService(
      SpecModule.forRoot({
        HTTP_PORT: '1',
        INSTANCE_ID: 'p1',
        NATS_URL: INFRA.natsUrl,
        NATS_SUBJECT_PREFIX: ns.subjectPrefix,
        SHUTDOWN_DRAIN_MS: '0',
        LOG_LEVEL: 'silent',
      }),
      { logs: false, port: 0 },
    );
  });

  afterAll(async () => {
    await svc.shutdown();
    await nc.close();
  });

  it('an open critical breaker makes readiness fail and publishes a breaker event', async () => {
    await waitFor(async () => (await fetch(`${svc.url}/health/readiness`)).status === 200);
    const events = nc.subscribe(`${ns.subjectPrefix}svc.event.spec-service.breaker`, { max: 1 });
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
