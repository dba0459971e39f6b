import { redisComponent } from '@cryptoscalp/health';
import { freePort, waitFor } from '@cryptoscalp/testing';

import { type ChildProcess, spawn } from 'node:child_process';

import { createRedisClient } from './redis.factory';

function startRedis(port: number): ChildProcess {
  return spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
}

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await exited;
}

// A private redis-server on a free port, killed and restarted; the shared server is never touched.
describe('Redis client recovery', () => {
  it('fails health and commands fast during an outage, then recovers by itself', async () => {
    const port = await freePort();
    let server = startRedis(port);
    const client = createRedisClient({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_KEY_PREFIX: 'rec:' }, 'spec/recovery');
    const health = redisComponent(client);
    try {
      await waitFor(() => client.status === 'ready', 10_000);
      expect((await health.check()).status).toBe('pass');
      await stop(server);
      await waitFor(() => client.status !== 'ready', 5000);
      expect((await health.check()).status).toBe('fail');
      const t0 = Date.now();
      await expect(client.get('k')).rejects.toThrow();
      expect(Date.now() - t0).toBeLessThan(500);
      server = startRedis(port);
      await waitFor(() => client.status === 'ready', 15_000);
      expect((await health.check()).status).toBe('pass');
      await client.set('k', 'v');
      expect(await client.get('k')).toBe('v');
    } finally {
      client.disconnect();
      await stop(server);
    }
  });
});
