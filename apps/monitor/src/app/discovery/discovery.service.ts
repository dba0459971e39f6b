import { decodeJson, HeartbeatSchema, NatsConnector, PayloadError, Subjects } from '@cryptoscalp/messaging';
import { MetricsRegistry } from '@cryptoscalp/metrics';

import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from 'nats';

import { DISCOVERY_OPTIONS, type DiscoveryOptions } from './discovery.constants';
import { InstanceDirectory, type InstanceRecord } from './instance-directory';

/** Discovers every service instance from `svc.heartbeat.>`; no hand-kept list of instances. */
@Injectable()
export class DiscoveryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DiscoveryService.name);
  private readonly directory: InstanceDirectory;
  private subscription: Subscription | undefined;
  private readonly invalid;

  constructor(
    private readonly nats: NatsConnector,
    private readonly subjects: Subjects,
    metrics: MetricsRegistry,
    @Inject(DISCOVERY_OPTIONS) options: DiscoveryOptions,
  ) {
    this.directory = new InstanceDirectory(options.staleAfterMs, options.forgetAfterMs);
    this.invalid = metrics.counter('monitor_invalid_heartbeats_total', 'Heartbeats rejected as malformed');
    const directory = this.directory;
    metrics.gauge('monitor_instances', 'Known instances by service and status', ['service', 'status'], function () {
      this.reset();
      for (const i of directory.list()) this.inc({ service: i.service, status: i.status });
    });
  }

  onApplicationBootstrap(): void {
    // Subscribes once NATS is up (the connector retries in the background).
    void this.nats.connection().then(
      (nc) => {
        this.subscription = nc.subscribe(this.subjects.allHeartbeats(), {
          callback: (err, msg) => {
            if (err) return;
            try {
              this.directory.record(decodeJson(HeartbeatSchema, msg.data, msg.subject));
            } catch (e) {
              this.invalid.inc();
              this.logger.warn(e instanceof PayloadError ? e.message : `heartbeat on ${msg.subject}: ${(e as Error).message}`);
            }
          },
        });
      },
      () => undefined,
    );
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  instances(): InstanceRecord[] {
    return this.directory.list();
  }
}
