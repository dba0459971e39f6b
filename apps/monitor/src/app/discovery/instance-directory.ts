import type { HealthStatus, Heartbeat } from '@cryptoscalp/messaging';

export interface InstanceRecord {
  /** `<service>/<instance>`: unique across services. */
  key: string;
  service: string;
  instance: string;
  version: string;
  /** Base of the health endpoints (`…/health`); `/readiness`, `/components` and `/metrics` are below it. */
  healthUrl: string;
  /** `heartbeat`: discovered; `static`: from MONITOR_TARGETS (no heartbeat expected). */
  source: 'heartbeat' | 'static';
  /** Status the instance reported in its last heartbeat. */
  reportedStatus: HealthStatus;
  /** `fail` when the heartbeat is overdue (the instance is gone or cut off). */
  status: HealthStatus;
  stale: boolean;
  /** The instance announced a clean shutdown (draining); it disappears without an alert. */
  stopping: boolean;
  startedAt: number;
  /** First heard of (kept across restarts under the same id). */
  firstSeen: number;
  lastSeen: number;
  beats: number;
}

type Stored = Omit<InstanceRecord, 'status' | 'stale'>;

/**
 * Every instance the monitor knows, keyed `<service>/<instance>`: discovered from heartbeats, plus
 * static targets. Plain TypeScript so it is testable without Nest. An instance whose heartbeat is
 * overdue by `staleAfterMs` is reported as stale (`fail`); after `forgetAfterMs` it is dropped. An
 * instance that shut down cleanly is dropped as soon as it goes quiet.
 */
export class InstanceDirectory {
  private readonly instances = new Map<string, Stored>();

  constructor(
    private readonly staleAfterMs: number,
    private readonly forgetAfterMs: number,
  ) {}

  record(beat: Heartbeat, now = Date.now()): void {
    const key = `${beat.service}/${beat.instance}`;
    const previous = this.instances.get(key);
    // A new process under the same id (restart) is no longer stopping.
    const restarted = previous !== undefined && previous.startedAt !== beat.startedAt;
    this.instances.set(key, {
      key,
      service: beat.service,
      instance: beat.instance,
      version: beat.version,
      healthUrl: beat.healthUrl.replace(/\/+$/, ''),
      source: 'heartbeat',
      reportedStatus: beat.status,
      startedAt: beat.startedAt,
      stopping: restarted ? false : (previous?.stopping ?? false),
      firstSeen: previous?.firstSeen ?? now,
      lastSeen: now,
      beats: (previous?.beats ?? 0) + 1,
    });
  }

  /** A static target: polled like the others, never stale (it sends no heartbeats). */
  addStatic(service: string, baseUrl: string, now = Date.now()): void {
    const url = new URL(baseUrl);
    const instance = `${url.hostname}-${url.port || (url.protocol === 'https:' ? '443' : '80')}`.replace(/[^A-Za-z0-9_-]/g, '-');
    const key = `${service}/${instance}`;
    this.instances.set(key, {
      key,
      service,
      instance,
      version: '',
      healthUrl: baseUrl.endsWith('/health') ? baseUrl : `${baseUrl}/health`,
      source: 'static',
      reportedStatus: 'pass',
      startedAt: now,
      stopping: false,
      firstSeen: now,
      lastSeen: now,
      beats: 0,
    });
  }

  /** The instance said it is shutting down (draining readiness, or a `shutdown` event). */
  markStopping(key: string): boolean {
    const rec = this.instances.get(key);
    if (!rec || rec.stopping || rec.source === 'static') return false;
    rec.stopping = true;
    return true;
  }

  get(key: string): Stored | undefined {
    return this.instances.get(key);
  }

  list(now = Date.now()): InstanceRecord[] {
    const result: InstanceRecord[] = [];
    for (const [key, rec] of this.instances) {
      const age = now - rec.lastSeen;
      const stale = rec.source === 'heartbeat' && age > this.staleAfterMs;
      if (rec.source === 'heartbeat' && (age > this.forgetAfterMs || (rec.stopping && stale))) {
        this.instances.delete(key);
        continue;
      }
      result.push({ ...rec, stale, status: stale ? 'fail' : rec.reportedStatus });
    }
    return result.sort((a, b) => a.service.localeCompare(b.service) || a.instance.localeCompare(b.instance));
  }
}
