import { Controller, Get, Header, Res } from '@nestjs/common';
import type { Response } from 'express';

import { MetricsRegistry } from './metrics-registry';

@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsRegistry) {}

  @Get(['metrics', 'health/metrics'])
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() res: Response): Promise<void> {
    res.type(this.metrics.contentType).send(await this.metrics.exposition());
  }
}
