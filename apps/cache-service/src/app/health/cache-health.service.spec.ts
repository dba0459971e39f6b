import { HealthRegistry } from '@cryptoscalp/health';

import { Test } from '@nestjs/testing';

import { CACHE_CONFIG } from '../cache.constants';
import { IngestService } from '../ingest/ingest.service';
import { RedisStore } from '../store/redis-store';
import { CacheHealthService } from './cache-health.service';

describe('CacheHealthService', () => {
  async function build(writer: { lastLagMs: number; consecutiveFailures: number; lastError?: string }, available: boolean) {
    const components: { name: string; check: () => unknown }[] = [];
    const moduleRef = await Test.createTestingModule({
      providers: [
        CacheHealthService,
        { provide: CACHE_CONFIG, useValue: { CACHE_APPLY_LAG_WARN_MS: 2000 } },
        { provide: HealthRegistry, useValue: { register: (c: { name: string; check: () => unknown }) => components.push(c) } },
        { provide: IngestService, useValue: { writer, state: { pendingTrades: 42 } } },
        { provide: RedisStore, useValue: { available, breakerState: available ? 'closed' : 'open' } },
      ],
    }).compile();
    moduleRef.get(CacheHealthService).onApplicationBootstrap();
    return (name: string) => components.find((c) => c.name === name)?.check();
  }

  it('passes while the last flush wrote updates within the lag threshold and Redis takes writes', async () => {
    const check = await build({ lastLagMs: 35, consecutiveFailures: 0 }, true);
    expect(check('ingest')).toMatchObject({ status: 'pass', measurement: 'applyLag', observedValue: 35, observedUnit: 'ms' });
    expect(check('redis-writes')).toMatchObject({ status: 'pass', observedValue: 42, observedUnit: 'trades' });
  });

  it('warns when the apply lag passes the threshold, and while writes are deferred', async () => {
    const check = await build({ lastLagMs: 2500, consecutiveFailures: 3, lastError: 'Connection is closed.' }, false);
    expect(check('ingest')).toMatchObject({ status: 'warn', output: expect.stringContaining('2500 ms') });
    expect(check('redis-writes')).toMatchObject({
      status: 'warn',
      output: expect.stringMatching(/breaker open, 3 failed flushes \(Connection is closed\.\)/),
    });
  });
});
