import { baseEnv, httpPort, loadConfig, natsEnv } from '@cryptoscalp/config';
import { freePort, killProcess, NATS_SERVER_BIN, startPrivateServer, waitFor } from '@cryptoscalp/testing';

import { type DynamicModule, Module } from '@nestjs/common';
import { z } from 'zod';

import { type StartedService, startService } from './bootstrap';
import { PlatformModule } from './platform.module';

const schema = z.object({ ...baseEnv, ...natsEnv, HTTP_PORT: httpPort(3999) });

@Module({})
class LivenessSpecModule {
  static forRoot(env: Record<string, string>): DynamicModule {
    return { module: LivenessSpecModule, imports: [PlatformModule.forRoot({ service: 'spec-service', config: loadConfig(schema, { env }) })] };
  }
}

const natsServer = (port: number, pass: string) =>
  startPrivateServer(NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', String(port), '--user', 'svc', '--pass', pass]);

async function liveness(svc: StartedService): Promise<{ status: number; body: { checks: Record<string, { status: string; output?: string }[]> } }> {
  const res = await fetch(`${svc.url}/health/liveness`);
  return { status: res.status, body: (await res.json()) as never };
}

// Defect: a NATS connection the client closed for good was never rebuilt while liveness stayed
// 200, so nothing restarted the process. Now the connector rebuilds it, and liveness fails while
// it cannot (a private nats-server whose credentials change under the service).
describe('liveness and a NATS connection closed for good (private nats-server)', () => {
  it('fails liveness while the connection cannot be rebuilt, and passes again once it is', async () => {
    const port = await freePort();
    let server = natsServer(port, 'right');
    let svc: StartedService | undefined;
    try {
      svc = await startService(
        LivenessSpecModule.forRoot({
          INSTANCE_ID: 'live-1',
          NATS_URL: `nats://127.0.0.1:${port}`,
          NATS_USER: 'svc',
          NATS_PASSWORD: 'right',
          NATS_UNRECOVERABLE_AFTER_MS: '500',
          SHUTDOWN_DRAIN_MS: '0',
          LOG_LEVEL: 'silent',
        }),
        { logs: false, port: 0 },
      );
      const started = svc;
      await waitFor(async () => (await fetch(`${started.url}/health/readiness`)).status === 200, 15_000);
      expect((await liveness(started)).status).toBe(200);

      await killProcess(server);
      server = natsServer(port, 'changed');
      const dead = await waitFor(async () => {
        const r = await liveness(started);
        return r.status === 503 ? r : undefined;
      }, 30_000);
      expect(dead.body.checks['nats-connection:recoverable']?.[0]).toMatchObject({ status: 'fail' });

      await killProcess(server);
      server = natsServer(port, 'right');
      await waitFor(async () => (await liveness(started)).status === 200, 30_000);
      await waitFor(async () => (await fetch(`${started.url}/health/readiness`)).status === 200, 15_000);
    } finally {
      await svc?.shutdown();
      await killProcess(server);
    }
  });
});
