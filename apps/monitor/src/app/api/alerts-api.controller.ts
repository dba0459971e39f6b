import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post, Query, UseGuards } from '@nestjs/common';
import { z } from 'zod';

import type { Alert, Silence } from '../alerting/alert.types';
import { AlertingService } from '../alerting/alerting.service';
import { DurationSchema } from '../alerting/duration';
import type { DeliveryStats } from '../channels/delivery-queue';
import { ApiTokenGuard } from './api-token.guard';
import { badRequest, parseOr400 } from './validation';

const AlertsQuery = z.object({
  state: z.enum(['pending', 'firing', 'resolved'], { error: 'expected pending, firing or resolved' }).optional(),
});

const time = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 time such as 2026-01-01T12:00:00Z' }).transform((v) => Date.parse(v));
const window = {
  startsAt: time.optional(),
  endsAt: time.optional(),
  /** Instead of endsAt: how long from startsAt (`30m`, `2h`). */
  duration: DurationSchema.optional(),
  createdBy: z.string().max(100).default('api'),
  comment: z.string().min(1, 'expected a reason').max(1000),
};

const MatcherSchema = z.object({
  name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'expected a label name'),
  value: z.string().max(500),
  isRegex: z.boolean().default(false),
  isEqual: z.boolean().default(true),
});

const SilenceBody = z
  .object({ ...window, matchers: z.array(MatcherSchema).min(1, 'expected at least one matcher') })
  .refine((b) => b.endsAt !== undefined || b.duration !== undefined, { message: 'expected endsAt or duration', path: ['endsAt'] })
  .refine((b) => b.matchers.every((m) => !m.isRegex || isRegex(m.value)), { message: 'invalid regular expression', path: ['matchers'] });

const MaintenanceBody = z
  .object({ ...window, services: z.array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a service name')).min(1, 'expected at least one service') })
  .refine((b) => b.endsAt !== undefined || b.duration !== undefined, { message: 'expected endsAt or duration', path: ['endsAt'] });

function isRegex(v: string): boolean {
  try {
    new RegExp(v);
    return true;
  } catch {
    return false;
  }
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function span(b: { startsAt?: number; endsAt?: number; duration?: number }): { startsAt: number; endsAt: number } {
  const startsAt = b.startsAt ?? Date.now();
  return { startsAt, endsAt: b.endsAt ?? startsAt + (b.duration as number) };
}

/** Alerts, silences and maintenance windows. Writes need the bearer token. */
@Controller('api')
export class AlertsApiController {
  constructor(private readonly alerting: AlertingService) {}

  @Get('alerts')
  alerts(@Query() query: unknown): { alerts: Alert[]; silences: Silence[]; deliveries: DeliveryStats[] } {
    const q = parseOr400(AlertsQuery, query, 'query');
    return {
      alerts: this.alerting.alerts().filter((a) => !q.state || a.state === q.state),
      silences: this.alerting.silences.list(),
      deliveries: this.alerting.deliveries(),
    };
  }

  @Get('silences')
  silences(): { silences: Silence[] } {
    return { silences: this.alerting.silences.list().filter((s) => s.kind === 'silence') };
  }

  @Post('silences')
  @UseGuards(ApiTokenGuard)
  async addSilence(@Body() body: unknown): Promise<Silence> {
    const b = parseOr400(SilenceBody, body, 'body');
    const { startsAt, endsAt } = span(b);
    if (endsAt <= startsAt) badRequest('endsAt', 'must be after startsAt');
    return this.alerting.addSilence({ kind: 'silence', matchers: b.matchers, startsAt, endsAt, createdBy: b.createdBy, comment: b.comment });
  }

  @Delete('silences/:id')
  @UseGuards(ApiTokenGuard)
  @HttpCode(200)
  async expireSilence(@Param('id') id: string): Promise<Silence> {
    const s = await this.alerting.expireSilence(id);
    if (!s) throw new NotFoundException(`no silence "${id.slice(0, 64)}"`);
    return s;
  }

  @Get('maintenance')
  maintenance(): { maintenance: Silence[] } {
    return { maintenance: this.alerting.silences.list().filter((s) => s.kind === 'maintenance') };
  }

  /** Mutes every alert of the listed services for the window, and marks them on the dashboard. */
  @Post('maintenance')
  @UseGuards(ApiTokenGuard)
  async addMaintenance(@Body() body: unknown): Promise<Silence> {
    const b = parseOr400(MaintenanceBody, body, 'body');
    const { startsAt, endsAt } = span(b);
    if (endsAt <= startsAt) badRequest('endsAt', 'must be after startsAt');
    const matchers = [{ name: 'service', value: b.services.map(escapeRe).join('|'), isRegex: true, isEqual: true }];
    return this.alerting.addSilence({ kind: 'maintenance', matchers, startsAt, endsAt, createdBy: b.createdBy, comment: b.comment });
  }

  @Delete('maintenance/:id')
  @UseGuards(ApiTokenGuard)
  @HttpCode(200)
  async endMaintenance(@Param('id') id: string): Promise<Silence> {
    return this.expireSilence(id);
  }
}
