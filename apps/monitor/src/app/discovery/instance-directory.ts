import type { HealthState, Heartbeat } from '@cryptoscalp/messaging';

export interface InstanceRecord {
  service: string;
  instance: string;
  version: string;
  healthUrl: string;
  /** Status the instance reported in its last heartbeat. */
  reportedStatus: HealthState;
  /** `fail` when the heartbeat is overdue (the instance is gone or cut off). */
  status: HealthState;
  stale: boolean;
  startedAt: number;
  lastSeen: number;
  beats: number;
}

/**
 * Every instance the monitor has heard from, keyed `<service>/<instance>`. Plain TypeScript so
 * it is testable without Nest. An instance whose heartbeat is overdue by `staleAfterMs` is
 * reported as stale (`fail`); after `forgetAfterMs` it is dropped.
 */
export class InstanceDirectory {
  private readonly instances = new Map<string, Omit<InstanceRecord, 'status' | 'stale'>>();

  constructor(
    private readonly staleAfterMs: number,
    private readonly forgetAfterMs: number,
  ) {}

  record(beat: Heartbeat, now = Date.now()): void {
    const key = `${beat.service}/${beat.instance}`;
    const previous = this.instances.get(key);
    this.instances.set(key, {
      service: beat.service,
      instance: beat.instance,
      version: beat.version,
      healthUrl: beat.healthUrl,
      reportedStatus: beat.status,
      startedAt: beat.startedAt,
      lastSeen: now,
      beats: (previous?.beats ?? 0) + 1,
    });
  }

  list(now = Date.now()): InstanceRecord[] {
    const result: InstanceRecord[] = [];
    for (const [key, rec] of this.instances) {
      const age = now - rec.lastSeen;
      if (age > this.forgetAfterMs) {
        this.instances.delete(key);
        continue;
      }
      const stale = age > this.staleAfterMs;
      result.push({ ...rec, stale, status: stale ? 'fail' : rec.reportedStatus });
    }
    return result.sort((a, b) => a.service.localeCompare(b.service) || a.instance.localeCompare(b.instance));
  }
}
