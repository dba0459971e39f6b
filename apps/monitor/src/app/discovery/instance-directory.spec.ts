import type { Heartbeat } from '@cryptoscalp/messaging';

import { InstanceDirectory } from './instance-directory';

const beat = (service: string, instance: string, status: Heartbeat['status'] = 'pass'): Heartbeat => ({
  v: 1,
  service,
  instance,
  version: '0.1.0',
  healthUrl: `http://${instance}:3000/health`,
  status,
  startedAt: 1,
  time: 2,
});

describe('InstanceDirectory', () => {
  it('lists instances sorted by service and instance with their reported status', () => {
    const d = new InstanceDirectory(15_000, 600_000);
    d.record(beat('monitor', 'm1'), 1000);
    d.record(beat('cache-service', 'c2', 'warn'), 1000);
    d.record(beat('cache-service', 'c1'), 1000);
    d.record(beat('cache-service', 'c1'), 2000);
    expect(d.list(2000).map((i) => [i.service, i.instance, i.status, i.beats])).toEqual([
      ['cache-service', 'c1', 'pass', 2],
      ['cache-service', 'c2', 'warn', 1],
      ['monitor', 'm1', 'pass', 1],
    ]);
  });

  it('marks an instance whose heartbeat is overdue as stale (fail), then forgets it', () => {
    const d = new InstanceDirectory(15_000, 60_000);
    d.record(beat('db-proxy', 'd1'), 0);
    expect(d.list(15_000)[0]).toMatchObject({ stale: false, status: 'pass' });
    expect(d.list(15_001)[0]).toMatchObject({ stale: true, status: 'fail', reportedStatus: 'pass' });
    expect(d.list(60_001)).toEqual([]);
  });
});
