import { HealthModule, HealthRegistry } from '@cryptoscalp/health';
import { INFRA, testNamespace, waitFor } from '@cryptoscalp/testing';

import { Test } from '@nestjs/testing';
import Redis from 'ioredis';

import { RedisModule } from './redis.module';
import { REDIS_CLIENT } from './redis.types';

describe('RedisModule (real Redis)', () => {
  it('prefixes every key, reports a passing component, and fails fast when Redis is unreachable', async () => {
    const ns = testNamespace('rd');
    const moduleRef = await Test.createTestingModule({
      imports: [
        HealthModule.forRoot({ service: 'spec', instance: 'r1', version: '0', checkTimeoutMs: 500 }),
        RedisModule.forRoot({ REDIS_URL: INFRA.redisUrl, REDIS_KEY_PREFIX: ns.keyPrefix }, 'spec/r1'),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const client = app.get<Redis>(REDIS_CLIENT);
    await waitFor(() => client.status === 'ready');
    await client.set('probe', '1', 'EX', 30);
    const raw = new Redis(INFRA.redisUrl);
    expect(await raw.get(`${ns.keyPrefix}probe`)).toBe('1');
    await raw.quit();
    const body = await app.get(HealthRegistry).evaluate();
    expect(body.checks['redis:responseTime']?.[0]).toMatchObject({ status: 'pass', observedUnit: 'ms' });
    await app.close();
    await waitFor(() => client.status === 'end');

    const down = await Test.createTestingModule({
      imports: [
        HealthModule.forRoot({ service: 'spec', instance: 'r2', version: '0', checkTimeoutMs: 500 }),
        RedisModule.forRoot({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_KEY_PREFIX: ns.keyPrefix }, 'spec/r2'),
      ],
    }).compile();
    const downApp = down.createNestApplication({ logger: false });
    await downApp.init();
    // Fails at once because nothing is queued while disconnected (with an offline queue the
    // command would wait for the reconnect, i.e. for the whole outage).
    const t0 = Date.now();
    await expect(downApp.get<Redis>(REDIS_CLIENT).get('x')).rejects.toThrow(/enableOfflineQueue/);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect((await downApp.get(HealthRegistry).evaluate()).checks['redis:responseTime']?.[0]?.status).toBe('fail');
    await downApp.close();
  });
});
