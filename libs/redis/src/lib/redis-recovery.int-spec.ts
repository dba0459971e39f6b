import { redisComponent } from '@cryptoscalp/health';
import { freePort, killProcess, REDIS_SERVER_BIN, startPrivateServer, waitFor } from '@cryptoscalp/testing';

import { createRedisClient } from './redis.factory';

const startRedis = (port: number) =>
  startPrivateServer(REDIS_SERVER_BIN, ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no']);

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
      await killProcess(server);
      await waitFor(() => client.status !== 'ready', 5000);
      expect((await health.check()).status).toBe('fail');
      // Fails at once because nothing is queued while disconnected (with an offline queue the
      // command would wait for the reconnect, i.e. for the whole outage).
      const t0 = Date.now();
      await expect(client.get('k')).rejects.toThrow(/enableOfflineQueue/);
      expect(Date.now() - t0).toBeLessThan(2_000);
      server = startRedis(port);
      await waitFor(() => client.status === 'ready', 15_000);
      expect((await health.check()).status).toBe('pass');
      await client.set('k', 'v');
      expect(await client.get('k')).toBe('v');
    } finally {
      client.disconnect();
      await killProcess(server);
    }
  });
});
