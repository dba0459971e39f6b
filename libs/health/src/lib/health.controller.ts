import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';

import { HEALTH_MODULE_OPTIONS, type HealthBody, type HealthModuleOptions, worst } from './health.types';
import { HealthRegistry } from './health-registry';
import { EventLoopProbe } from './liveness';

const HEALTH_JSON = 'application/health+json';

function send(res: Response, body: unknown, code: number): void {
  res.status(code).setHeader('Cache-Control', 'no-store');
  res.type(HEALTH_JSON).send(JSON.stringify(body));
}

@Controller('health')
export class HealthController {
  private readonly startedAt = Date.now();

  constructor(
    private readonly registry: HealthRegistry,
    private readonly eventLoop: EventLoopProbe,
    @Inject(HEALTH_MODULE_OPTIONS) private readonly options: HealthModuleOptions,
  ) {}

  /**
   * The process can make progress: the event loop is responsive and no condition that only a
   * restart cures holds (`registerLiveness`). Never looks at dependency outages.
   */
  @Get('liveness')
  liveness(@Res() res: Response): void {
    const loop = this.eventLoop.result();
    const time = new Date().toISOString();
    const checks: HealthBody['checks'] = {
      'eventloop:delay': [
        {
          componentId: 'eventloop',
          componentType: 'system',
          status: loop.status,
          observedValue: loop.observedValue,
          observedUnit: 'ms',
          critical: true,
          time,
        },
      ],
    };
    const statuses = [loop.status];
    for (const { name, result } of this.registry.livenessResults()) {
      statuses.push(result.status);
      checks[`${name}:${result.measurement ?? 'state'}`] = [
        {
          componentId: name,
          componentType: result.componentType ?? 'component',
          status: result.status,
          ...(result.observedValue !== undefined ? { observedValue: result.observedValue, observedUnit: result.observedUnit } : {}),
          ...(result.output ? { output: result.output } : {}),
          critical: true,
          time,
        },
      ];
    }
    const status = worst(statuses);
    const body: HealthBody = {
      status,
      version: '1',
      releaseId: this.options.version,
      serviceId: `${this.options.service}/${this.options.instance}`,
      description: 'liveness',
      checks,
    };
    send(res, body, status === 'fail' ? 503 : 200);
  }

  /** Dependencies reachable and the service can do its job; 503 when not, or while shutting down. */
  @Get('readiness')
  async readiness(@Res() res: Response): Promise<void> {
    const body = await this.registry.evaluate();
    send(res, body, body.status === 'fail' ? 503 : 200);
  }

  /** One entry per component, always 200 (readiness is the gate). */
  @Get('components')
  async components(@Res() res: Response): Promise<void> {
    send(res, await this.registry.evaluate(), 200);
  }

  /** Detailed status for operators and the monitor. */
  @Get('status')
  async status(@Res() res: Response): Promise<void> {
    const body = await this.registry.evaluate();
    const mem = process.memoryUsage();
    send(
      res,
      {
        ...body,
        service: this.options.service,
        instance: this.options.instance,
        startedAt: new Date(this.startedAt).toISOString(),
        uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
        draining: this.registry.isDraining,
        process: { pid: process.pid, node: process.version, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed },
        eventLoop: this.eventLoop.result(),
        components: Object.values(body.checks)
          .flat()
          .map((c) => ({
            name: c.componentId,
            status: c.status,
            critical: c.critical,
            observedValue: c.observedValue,
            observedUnit: c.observedUnit,
            output: c.output,
          })),
      },
      200,
    );
  }
}
