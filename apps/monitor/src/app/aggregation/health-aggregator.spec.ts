import type { InstanceRecord } from '../discovery/instance-directory';
import type { Observation } from '../polling/health-probe';
import { HealthAggregator } from './health-aggregator';

const damping = { failAfter: 1, passAfter: 1, flapChanges: 5, flapWindowMs: 60_000 };

const rec = (service: string, instance: string, extra: Partial<InstanceRecord> = {}): InstanceRecord => ({
  key: `${service}/${instance}`,
  service,
  instance,
  version: '1',
  healthUrl: `http://${instance}/health`,
  source: 'heartbeat',
  reportedStatus: 'pass',
  status: 'pass',
  stale: false,
  stopping: false,
  firstSeen: 0,
  startedAt: 0,
  lastSeen: 1000,
  beats: 3,
  ...extra,
});

const obs = (components: Record<string, 'pass' | 'warn' | 'fail'>, reachable = true): Observation => {
  const statuses = Object.values(components);
  const status = !reachable || statuses.includes('fail') ? 'fail' : statuses.includes('warn') ? 'warn' : 'pass';
  return {
    time: 1000,
    reachable,
    status,
    responseMs: 3,
    draining: false,
    components: Object.entries(components).map(([name, s]) => ({ name, status: s, critical: true })),
  };
};

describe('HealthAggregator', () => {
  it('rolls up services: some instances failing is warn, none serving is fail', () => {
    const agg = new HealthAggregator(damping);
    const records = [rec('cache-service', 'c1'), rec('cache-service', 'c2'), rec('db-proxy', 'd1')];
    agg.observe('cache-service/c1', obs({ nats: 'pass', redis: 'pass' }));
    agg.observe('cache-service/c2', obs({}, false));
    agg.observe('db-proxy/d1', obs({}, false));
    const s = agg.snapshot(records, [], 1000);
    expect(s.services.map((x) => [x.name, x.status, x.instances])).toEqual([
      ['cache-service', 'warn', { total: 2, pass: 1, warn: 0, fail: 1 }],
      ['db-proxy', 'fail', { total: 1, pass: 0, warn: 0, fail: 1 }],
    ]);
    expect(s.status).toBe('fail');
    // An unreachable instance is its own cause, not a shared dependency.
    expect(s.instances.find((i) => i.instance === 'c2')?.causes).toEqual(['instance:cache-service/c2']);
    expect(s.rootCauses).toEqual([]);
  });

  it('names the dependency every failing instance shares as the root cause, and its consequences as such', () => {
    const agg = new HealthAggregator(damping);
    const records = [rec('cache-service', 'c1'), rec('db-proxy', 'd1'), rec('market-data-gateway', 'g1')];
    agg.observe('cache-service/c1', obs({ nats: 'fail', redis: 'pass' }));
    agg.observe('db-proxy/d1', obs({ nats: 'fail', postgres: 'fail' }));
    agg.observe('market-data-gateway/g1', obs({ nats: 'fail', 'feed:binance': 'pass' }));
    const s = agg.snapshot(records, [], 1000);
    expect(s.rootCauses.map((c) => [c.dependency, c.primary, c.instances.length])).toEqual([
      ['nats', true, 3],
      ['postgres', false, 1],
    ]);
    expect(s.output).toMatch(/^nats is down: 3 instances of cache-service, db-proxy, market-data-gateway affected/);
    expect(s.instances.find((i) => i.instance === 'd1')?.causes).toEqual(['nats', 'postgres']);
  });

  it('blames a venue when its feeds fail on several gateways, and NATS when heartbeats stop from instances that still answer', () => {
    const agg = new HealthAggregator(damping);
    const records = [rec('market-data-gateway', 'g1'), rec('market-data-gateway', 'g2'), rec('cache-service', 'c1', { stale: true })];
    agg.observe('market-data-gateway/g1', obs({ nats: 'pass', 'feed:kraken': 'fail', 'feed:okx': 'pass' }));
    agg.observe('market-data-gateway/g2', obs({ nats: 'pass', 'feed:kraken': 'fail' }));
    agg.observe('cache-service/c1', obs({ nats: 'pass' }));
    const s = agg.snapshot(records, [], 1000);
    expect(s.rootCauses.map((c) => [c.dependency, c.instances])).toEqual([
      ['venue:kraken', ['market-data-gateway/g1', 'market-data-gateway/g2']],
      ['nats', ['cache-service/c1']],
    ]);
    expect(s.instances.find((i) => i.instance === 'c1')).toMatchObject({ status: 'fail', reachable: true });
  });

  it('leaves an instance that is shutting down out of the roll-up', () => {
    const agg = new HealthAggregator(damping);
    agg.observe('cache-service/c1', obs({ nats: 'fail' }));
    const s = agg.snapshot([rec('cache-service', 'c1', { stopping: true }), rec('cache-service', 'c2')], [], 1000);
    expect(s.services[0]).toMatchObject({ status: 'pass', instances: { total: 1, pass: 1 } });
    expect(s.rootCauses).toEqual([]);
  });

  it('a new instance that has not passed yet is starting (not a root cause) during the grace, then failing', () => {
    const agg = new HealthAggregator(damping, 30_000);
    agg.observe('db-proxy/d1', obs({ nats: 'pass', postgres: 'fail' }));
    agg.observe('db-proxy/d2', obs({ nats: 'pass', postgres: 'fail' }));
    const records = [rec('db-proxy', 'd1', { firstSeen: 0 }), rec('db-proxy', 'd2', { firstSeen: 0 })];
    const early = agg.snapshot(records, [], 1000);
    expect(early.instances.map((i) => [i.status, i.starting])).toEqual([
      ['fail', true],
      ['fail', true],
    ]);
    expect(early.rootCauses).toEqual([]);
    const late = agg.snapshot(records, [], 31_000);
    expect(late.instances.every((i) => !i.starting)).toBe(true);
    expect(late.rootCauses.map((c) => c.dependency)).toEqual(['postgres']);
  });
});
