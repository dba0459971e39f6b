import { Controller, Get, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';

import { HealthModule } from './health.module';
import { HealthRegistry } from './health-registry';
import { natsComponent, postgresComponent, redisComponent } from './indicators';

@Controller()
class NoopController {
  @Get('noop')
  noop(): string {
    return 'ok';
  }
}

describe('health (Terminus wiring, IETF body, tri-state)', () => {
  let app: INestApplication;
  let registry: HealthRegistry;
  let url: string;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [HealthModule.forRoot({ service: 'spec', instance: 'i1', version: '9.9.9', checkTimeoutMs: 100 })],
      controllers: [NoopController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    registry = app.get(HealthRegistry);
    url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });

  afterEach(() => app.close());

  const get = async (path: string) => {
    const res = await fetch(url + path);
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as any };
  };

  it('passes with no components and renders the draft shape', async () => {
    const r = await get('/health/readiness');
    expect(r.status).toBe(200);
    expect(r.type).toContain('application/health+json');
    expect(r.body).toMatchObject({ status: 'pass', version: '1', releaseId: '9.9.9', serviceId: 'spec/i1', checks: {} });
  });

  it('reports warn (200) when a component is degraded and fail (503) when a critical one fails', async () => {
    registry.register({
      name: 'redis',
      critical: true,
      check: () => ({ status: 'warn', observedValue: 80, observedUnit: 'ms', output: 'slow' }),
    });
    let r = await get('/health/readiness');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('warn');
    expect(r.body.checks['redis:responseTime'][0]).toMatchObject({
      componentId: 'redis',
      status: 'warn',
      observedValue: 80,
      observedUnit: 'ms',
    });

    registry.register({ name: 'postgres', critical: true, check: () => Promise.reject(new Error('connection refused')) });
    r = await get('/health/readiness');
    expect(r.status).toBe(503);
    expect(r.body.status).toBe('fail');
    expect(r.body.output).toContain('postgres: connection refused');
    expect(r.body.checks['postgres:responseTime'][0].status).toBe('fail');
  });

  it('a failing non-critical component degrades to warn', async () => {
    registry.register({ name: 'feed:kraken', critical: false, check: () => ({ status: 'fail', output: 'stale', measurement: 'status' }) });
    const r = await get('/health/readiness');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('warn');
    expect(r.body.checks['feed:kraken:status'][0]).toMatchObject({ status: 'fail', critical: false });
  });

  it('fails a check that exceeds the timeout', async () => {
    registry.register({ name: 'slow', critical: true, check: () => new Promise(() => undefined) });
    const r = await get('/health/components');
    expect(r.status).toBe(200);
    expect(r.body.checks['slow:responseTime'][0]).toMatchObject({ status: 'fail', output: 'slow check timed out after 100 ms' });
  });

  it('liveness looks only at the event loop, never at dependencies', async () => {
    registry.register({ name: 'nats', critical: true, check: () => ({ status: 'fail' }) });
    const r = await get('/health/liveness');
    expect(r.status).toBe(200);
    expect(Object.keys(r.body.checks)).toEqual(['eventloop:delay']);
  });

  it('liveness fails for a condition only a restart cures, and names it', async () => {
    let wedged = false;
    registry.registerLiveness({
      name: 'nats-connection',
      check: () => (wedged ? { status: 'fail', measurement: 'recoverable', output: 'closed for good' } : { status: 'pass', measurement: 'recoverable' }),
    });
    const ok = await get('/health/liveness');
    expect(ok.status).toBe(200);
    expect(ok.body.checks['nats-connection:recoverable'][0]).toMatchObject({ status: 'pass' });
    wedged = true;
    const bad = await get('/health/liveness');
    expect(bad.status).toBe(503);
    expect(bad.body.status).toBe('fail');
    expect(bad.body.checks['nats-connection:recoverable'][0]).toMatchObject({ status: 'fail', output: 'closed for good', critical: true });
  });

  it('readiness is 503 while draining; status shows the details', async () => {
    registry.startDraining();
    const r = await get('/health/readiness');
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ status: 'fail', output: 'shutting down' });
    const s = await get('/health/status');
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ service: 'spec', instance: 'i1', draining: true, process: { pid: process.pid } });
  });
});

describe('dependency components', () => {
  it('nats: fails with the state when not connected, passes with the RTT', async () => {
    expect(await natsComponent({ state: 'reconnecting', error: 'ECONNREFUSED', rtt: async () => 1 }).check()).toMatchObject({
      status: 'fail',
      output: 'NATS reconnecting: ECONNREFUSED',
    });
    expect(await natsComponent({ state: 'connected', rtt: async () => 1 }).check()).toMatchObject({ status: 'pass', observedUnit: 'ms' });
  });

  it('redis: fails unless ready and PONG; warns when slow', async () => {
    expect(await redisComponent({ status: 'connecting', ping: async () => 'PONG' }).check()).toMatchObject({ status: 'fail' });
    expect(await redisComponent({ status: 'ready', ping: async () => 'PONG' }).check()).toMatchObject({ status: 'pass' });
    const slow = redisComponent({ status: 'ready', ping: () => new Promise((r) => setTimeout(() => r('PONG'), 30)) }, { warnMs: 10 });
    expect(await slow.check()).toMatchObject({ status: 'warn' });
  });

  it('postgres: fails with the last connect error before the pool is initialized', async () => {
    const c = postgresComponent({ isInitialized: false, query: async () => 1 }, { lastError: () => 'ECONNREFUSED' });
    expect(await c.check()).toMatchObject({ status: 'fail', output: 'Postgres not connected: ECONNREFUSED' });
  });
});
