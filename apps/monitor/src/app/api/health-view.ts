import type { HealthStatus } from '@cryptoscalp/messaging';

import { Injectable } from '@nestjs/common';

import { AggregationService } from '../aggregation/aggregation.service';
import type { RootCause } from '../aggregation/health.types';
import { FeedsService } from '../feeds/feeds.service';

interface Check {
  componentId: string;
  componentType: string;
  status: HealthStatus;
  observedValue?: number | string;
  observedUnit?: string;
  output?: string;
  time: string;
}

export interface AggregateHealthBody {
  status: HealthStatus;
  version: '1';
  serviceId: 'cryptoscalp';
  description: string;
  output?: string;
  /** Most likely causes first (a shared dependency before its consequences). */
  rootCauses: RootCause[];
  checks: Record<string, Check[]>;
}

/** The platform aggregate in the IETF health-check draft shape: one check per service, dependency and venue. */
@Injectable()
export class HealthView {
  constructor(
    private readonly aggregation: AggregationService,
    private readonly feeds: FeedsService,
  ) {}

  aggregate(): AggregateHealthBody {
    const s = this.aggregation.snapshot();
    const time = new Date(s.time).toISOString();
    const checks: Record<string, Check[]> = {};
    for (const svc of s.services) {
      checks[`${svc.name}:instances`] = [
        {
          componentId: svc.name,
          componentType: 'service',
          status: svc.status,
          observedValue: svc.instances.pass + svc.instances.warn,
          observedUnit: `of ${svc.instances.total} serving`,
          ...(svc.output ? { output: svc.output } : {}),
          time,
        },
      ];
    }
    for (const c of s.rootCauses) {
      checks[`${c.dependency}:affected`] = [
        { componentId: c.dependency, componentType: 'dependency', status: c.status, observedValue: c.instances.length, observedUnit: 'instances', output: c.summary, time },
      ];
    }
    let status = s.status;
    for (const v of this.feeds.venues()) {
      if (v.health !== 'pass' && status === 'pass') status = 'warn';
      checks[`venue:${v.venue}:symbols`] = [
        {
          componentId: `venue:${v.venue}`,
          componentType: 'feed',
          status: v.health,
          observedValue: v.pass,
          observedUnit: `of ${v.symbols} symbols healthy`,
          time,
        },
      ];
    }
    return {
      status,
      version: '1',
      serviceId: 'cryptoscalp',
      description: 'aggregated health of every CryptoScalp instance, dependency and feed',
      ...(s.output ? { output: s.output } : {}),
      rootCauses: s.rootCauses,
      checks,
    };
  }
}
