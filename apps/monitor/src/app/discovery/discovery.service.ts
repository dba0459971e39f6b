import { type Decoder, type Heartbeat, HeartbeatSchema, NatsConnector, type ServiceEvent, ServiceEventSchema, Subjects, zodDecoder } from '@cryptoscalp/messaging';
import { MetricsRegistry } from '@cryptoscalp/metrics';

import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

import { DISCOVERY_OPTIONS, type DiscoveryOptions, SHUTDOWN_EVENT_KINDS } from './discovery.constants';
import { InstanceDirectory, type InstanceRecord } from './instance-directory';

interface Closable {
  unsubscribe(): void;
}

/** Discovers every service instance from `svc.heartbeat.>` (plus static targets); no hand-kept list of instances. */
@Injectable()
export class DiscoveryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DiscoveryService.name);
  private readonly directory: InstanceDirectory;
  private readonly subscriptions: Closable[] = [];
  private readonly heartbeatDecoder: Decoder<Heartbeat>;

  constructor(
    private readonly nats: NatsConnector,
    private readonly subjects: Subjects,
    metrics: MetricsRegistry,
    @Inject(DISCOVERY_OPTIONS) private readonly options: DiscoveryOptions,
  ) {
    this.directory = new InstanceDirectory(options.staleAfterMs, options.forgetAfterMs);
    for (const t of options.staticTargets) this.directory.addStatic(t.service, t.url);
    const invalid = metrics.counter('monitor_invalid_heartbeats_total', 'Heartbeats rejected as malformed');
    // The subscription counts, logs and drops bad input; this counter keeps the heartbeat-specific figure.
    const base = zodDecoder(HeartbeatSchema);
    this.heartbeatDecoder = {
      decode: (data, subject) => {
        try {
          return base.decode(data, subject);
        } catch (e) {
          invalid.inc();
          throw e;
        }
      },
    };
    const directory = this.directory;
    metrics.gauge('monitor_instances', 'Known instances by service and status', ['service', 'status'], function () {
      this.reset();
      for (const i of directory.list()) this.inc({ service: i.service, status: i.status });
    });
  }

  onApplicationBootstrap(): void {
    // Bound now and to every later connection (the connector retries in the background).
    this.subscriptions.push(
      this.nats.subscribe<Heartbeat>(this.subjects.allHeartbeats(), (beat) => this.directory.record(beat), { decoder: this.heartbeatDecoder }),
      this.nats.subscribe<ServiceEvent>(this.subjects.allEvents(), (event) => this.onEvent(event), { schema: ServiceEventSchema }),
    );
  }

  onApplicationShutdown(): void {
    for (const s of this.subscriptions) s.unsubscribe();
  }

  instances(): InstanceRecord[] {
    return this.directory.list();
  }

  /** The instance is draining: it will disappear without an alert once it goes quiet. */
  markStopping(key: string): void {
    if (this.directory.markStopping(key)) this.logger.log(`${key} is shutting down cleanly`);
  }

  private onEvent(event: ServiceEvent): void {
    if (SHUTDOWN_EVENT_KINDS.includes(event.kind)) this.markStopping(`${event.service}/${event.instance}`);
  }
}
