import { encodeJson, NatsConnector, type ServiceEvent, Subjects } from '@cryptoscalp/messaging';

import { Inject, Injectable } from '@nestjs/common';

import { PLATFORM_OPTIONS } from './platform.constants';
import type { PlatformOptions } from './platform.types';

/** Publishes notable events on `svc.event.<service>.<kind>` for the monitor. */
@Injectable()
export class EventPublisher {
  constructor(
    @Inject(PLATFORM_OPTIONS) private readonly options: PlatformOptions,
    private readonly nats: NatsConnector,
    private readonly subjects: Subjects,
  ) {}

  publish(kind: string, severity: ServiceEvent['severity'], message: string, data?: Record<string, unknown>): boolean {
    const event: ServiceEvent = {
      v: 1,
      service: this.options.service,
      instance: this.options.config.INSTANCE_ID,
      kind,
      severity,
      message,
      ...(data ? { data } : {}),
      time: Date.now(),
    };
    return this.nats.publish(this.subjects.event(this.options.service, kind), encodeJson(event));
  }
}
