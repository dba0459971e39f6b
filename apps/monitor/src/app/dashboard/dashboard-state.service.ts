import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { Subject } from 'rxjs';

import { AggregationService } from '../aggregation/aggregation.service';
import type { HealthSnapshot, InstanceView, RootCause, ServiceView } from '../aggregation/health.types';
import type { Alert, Silence } from '../alerting/alert.types';
import { AlertingService } from '../alerting/alerting.service';
import type { DeliveryStats } from '../channels/delivery-queue';
import type { VenueView } from '../feeds/feed.types';
import { FeedsService } from '../feeds/feeds.service';
import { DASHBOARD_OPTIONS, type DashboardOptions } from './dashboard.constants';

/** One chart point: mean health response time per service (ms), message rate per venue (msg/s). */
export interface SeriesPoint {
  t: number;
  latency: Record<string, number>;
  throughput: Record<string, number>;
}

/** A feed as the page draws it (a flat row; hundreds of them per update). */
export type FeedRow = [key: string, venue: string, symbol: string, state: string, health: string, ageMs: number | null, rate: number | null, latencyMs: number | null, seq: number | null, note: string];

export interface DashboardState {
  time: number;
  status: HealthSnapshot['status'];
  output?: string;
  rootCauses: RootCause[];
  services: ServiceView[];
  instances: Omit<InstanceView, 'components'>[];
  components: Record<string, { name: string; status: string; output?: string }[]>;
  venues: VenueView[];
  feeds: FeedRow[];
  alerts: Alert[];
  silences: Silence[];
  deliveries: DeliveryStats[];
  point: SeriesPoint;
}

/** Builds what the dashboard shows after every evaluation and streams it (SSE). */
@Injectable()
export class DashboardStateService implements OnApplicationBootstrap {
  readonly updates = new Subject<DashboardState>();
  private readonly series: SeriesPoint[] = [];
  private last: DashboardState | undefined;

  constructor(
    private readonly aggregation: AggregationService,
    private readonly feeds: FeedsService,
    private readonly alerting: AlertingService,
    @Inject(DASHBOARD_OPTIONS) private readonly options: DashboardOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.aggregation.onSnapshot('dashboard', (s) => {
      this.last = this.build(s);
      this.series.push(this.last.point);
      if (this.series.length > this.options.seriesPoints) this.series.splice(0, this.series.length - this.options.seriesPoints);
      this.updates.next(this.last);
    });
  }

  current(): DashboardState {
    return this.last ?? this.build(this.aggregation.snapshot());
  }

  points(): SeriesPoint[] {
    return this.series;
  }

  private build(s: HealthSnapshot): DashboardState {
    const feeds = this.feeds.feeds(s.time);
    const venues = this.feeds.venues(feeds);
    const latency: Record<string, number> = {};
    for (const svc of s.services) {
      const times = s.instances.filter((i) => i.service === svc.name && i.reachable && i.responseMs !== null).map((i) => i.responseMs as number);
      if (times.length) latency[svc.name] = Math.round((times.reduce((a, b) => a + b, 0) / times.length) * 100) / 100;
    }
    const throughput: Record<string, number> = {};
    for (const v of venues) throughput[v.venue] = Math.round(v.rate * 100) / 100;
    const components: DashboardState['components'] = {};
    for (const i of s.instances) components[i.key] = i.components.map((c) => ({ name: c.name, status: c.status, ...(c.output ? { output: c.output } : {}) }));
    return {
      time: s.time,
      status: s.status,
      ...(s.output ? { output: s.output } : {}),
      rootCauses: s.rootCauses,
      services: s.services,
      instances: s.instances.map(({ components: _c, ...rest }) => rest),
      components,
      venues,
      feeds: feeds.map((f) => [f.key, f.venue, f.symbol, f.state, f.health, f.ageMs, f.rate, f.latencyMs, f.seq, f.anomalies.map((a) => a.message).join('; ') || (f.lastStatus?.reason ?? '')]),
      alerts: this.alerting.alerts(),
      silences: this.alerting.silences.list(s.time),
      deliveries: this.alerting.deliveries(),
      point: { t: s.time, latency, throughput },
    };
  }
}
