import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';

import { AggregationService } from '../aggregation/aggregation.service';
import type { InstanceView, ServiceView } from '../aggregation/health.types';
import { HealthView } from './health-view';

/** The aggregate: `/api/health` (application/health+json), services and instances. */
@Controller('api')
export class HealthApiController {
  constructor(
    private readonly aggregation: AggregationService,
    private readonly view: HealthView,
  ) {}

  /** 200 while the platform passes or is degraded, 503 when it fails; the body says why. */
  @Get('health')
  health(@Res() res: Response): void {
    const body = this.view.aggregate();
    res.status(body.status === 'fail' ? 503 : 200).setHeader('Cache-Control', 'no-store');
    res.type('application/health+json').send(JSON.stringify(body));
  }

  @Get('services')
  services(): { services: ServiceView[] } {
    return { services: this.aggregation.snapshot().services };
  }

  @Get('services/:name')
  service(@Param('name') name: string): { service: ServiceView; instances: InstanceView[] } {
    const s = this.aggregation.snapshot();
    const svc = s.services.find((x) => x.name === name);
    if (!svc) throw new NotFoundException(`no service "${name.slice(0, 100)}" (known: ${s.services.map((x) => x.name).join(', ') || 'none'})`);
    return { service: svc, instances: s.instances.filter((i) => i.service === name) };
  }

  /** Every instance heard from or configured, with its aggregated status. */
  @Get('instances')
  instances(): { instances: InstanceView[] } {
    return { instances: this.aggregation.snapshot().instances };
  }

  /** By instance id, or `<service>/<instance>` (URL-encoded) when ids repeat across services. */
  @Get('instances/:id')
  instance(@Param('id') id: string): InstanceView {
    const all = this.aggregation.snapshot().instances;
    const found = all.find((i) => i.key === id) ?? all.find((i) => i.instance === id);
    if (!found) throw new NotFoundException(`no instance "${id.slice(0, 100)}"`);
    return found;
  }
}
