import { encodeJson } from './codec';
import type { HealthStatus, Heartbeat } from './messages';
import type { NatsConnector } from './nats-connection';
import type { Subjects } from './subjects';

export interface HeartbeatOptions {
  service: string;
  instance: string;
  version: string;
  /** Where others reach this instance's health endpoints; a function when known only after listen. */
  healthUrl: string | (() => string);
  intervalMs: number;
  /** Current overall health; called once per beat. */
  status: () => HealthStatus;
}

/**
 * Publishes `svc.heartbeat.<service>.<instance>` every few seconds so the monitor discovers
 * every instance without a hand-kept list.
 */
export class HeartbeatPublisher {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();
  sent = 0;

  constructor(
    private readonly nats: NatsConnector,
    private readonly subjects: Subjects,
    private readonly options: HeartbeatOptions,
  ) {}

  start(): void {
    if (this.timer) return;
    this.beat();
    this.timer = setInterval(() => this.beat(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  message(): Heartbeat {
    return {
      v: 1,
      service: this.options.service,
      instance: this.options.instance,
      version: this.options.version,
      healthUrl: typeof this.options.healthUrl === 'function' ? this.options.healthUrl() : this.options.healthUrl,
      status: this.options.status(),
      startedAt: this.startedAt,
      time: Date.now(),
    };
  }

  beat(): boolean {
    const ok = this.nats.publish(this.subjects.heartbeat(this.options.service, this.options.instance), encodeJson(this.message()));
    if (ok) this.sent++;
    return ok;
  }
}
