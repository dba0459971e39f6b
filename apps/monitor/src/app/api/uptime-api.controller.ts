import { Controller, Get, Optional, Query, ServiceUnavailableException } from '@nestjs/common';
import { z } from 'zod';

import { AggregationService } from '../aggregation/aggregation.service';
import { UPTIME_WINDOWS, type UptimeReport, type UptimeWindow } from '../history/history.constants';
import { HistoryService } from '../history/history.service';
import { parseOr400 } from './validation';

const UptimeQuery = z.object({
  service: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a service name')
    .optional(),
  window: z.enum(Object.keys(UPTIME_WINDOWS) as [UptimeWindow, ...UptimeWindow[]], { error: `expected one of ${Object.keys(UPTIME_WINDOWS).join(', ')}` }).default('24h'),
});

/** Uptime and response time over 1h (minute buckets), 24h and 7d (hours) or 30d (days), from Postgres. */
@Controller('api')
export class UptimeApiController {
  constructor(
    private readonly aggregation: AggregationService,
    @Optional() private readonly history?: HistoryService,
  ) {}

  @Get('uptime')
  async uptime(@Query() query: unknown): Promise<UptimeReport | { window: UptimeWindow; services: UptimeReport[] }> {
    const q = parseOr400(UptimeQuery, query, 'query');
    if (!this.history?.available) throw new ServiceUnavailableException('history is unavailable (Postgres not connected, or MONITOR_HISTORY=false)');
    if (q.service) return this.history.uptime(q.service, q.window);
    const names = new Set([...this.aggregation.snapshot().services.map((s) => s.name), ...(await this.history.services(q.window))]);
    const services = await Promise.all([...names].sort().map((n) => (this.history as HistoryService).uptime(n, q.window)));
    return { window: q.window, services };
  }
}
