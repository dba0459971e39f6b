import { baseEnv, httpPort, loadConfig, natsEnv } from '@cryptoscalp/config';
import { ServiceEventSchema } from '@cryptoscalp/messaging';
import { INFRA, testNamespace, waitFor } from '@cryptoscalp/testing';

import { Agent, request } from 'node:http';
import { type DynamicModule, Module } from '@nestjs/common';
import { connect } from 'nats';
import { z } from 'zod';

import { startService } from './bootstrap';
import { PlatformModule } from './platform.module';

const schema = z.object({ ...baseEnv, ...natsEnv, HTTP_PORT: httpPort(3999) });
const ns = testNamespace('shut');

@Module({})
class ShutdownSpecModule {
  static forRoot(): DynamicModule {
    const config = loadConfig(schema, {
      env: { INSTANCE_ID: 'shut-1', NATS_URL: INFRA.natsUrl, NATS_SUBJECT_PREFIX: ns.subjectPrefix, SHUTDOWN_DRAIN_MS: '300', LOG_LEVEL: 'silent' },
    });
    return { module: ShutdownSpecModule, imports: [PlatformModule.forRoot({ service: 'spec-service', config })] };
  }
}

function get(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('graceful shutdown', () => {
  it('announces itself, and finishes while a poller keeps a keep-alive connection busy', async () => {
    const nc = await connect({ servers: INFRA.natsUrl });
    const events: unknown[] = [];
    const sub = nc.subscribe(`${ns.subjectPrefix}svc.event.spec-service.shutdown`, {
      callback: (_err, msg) => events.push(ServiceEventSchema.parse(msg.json())),
    });
    const svc = await startService(ShutdownSpecModule.forRoot(), { logs: false, port: 0 });
    // A monitor-like poller on one keep-alive connection, as fast as it can.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let polling = true;
    const statuses: number[] = [];
    // Back-to-back requests, never idle: Node's server.close() only closes idle connections.
    const poller = (async () => {
      while (polling) statuses.push(await get(`${svc.url}/health/readiness`, agent).catch(() => -1));
    })();
    try {
      await waitFor(() => statuses.includes(200) || statuses.includes(503), 10_000);
      const t0 = Date.now();
      await svc.shutdown('SIGTERM');
      // Drain (300 ms) plus closing; a server waiting for the busy keep-alive connection never ends.
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(statuses).toContain(503); // readiness turned 503 during the drain
      await waitFor(() => events.length === 1, 5_000);
      expect(events[0]).toMatchObject({ service: 'spec-service', instance: 'shut-1', kind: 'shutdown', severity: 'info' });
    } finally {
      polling = false;
      await poller;
      agent.destroy();
      sub.unsubscribe();
      await nc.close();
    }
  });
});
