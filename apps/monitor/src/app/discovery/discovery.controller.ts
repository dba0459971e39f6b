import { Controller, Get } from '@nestjs/common';

import { DiscoveryService } from './discovery.service';
import type { InstanceRecord } from './instance-directory';

@Controller('api')
export class DiscoveryController {
  constructor(private readonly discovery: DiscoveryService) {}

  /** Every instance heard from, with its reported status and whether its heartbeat is overdue. */
  @Get('instances')
  instances(): { instances: InstanceRecord[] } {
    return { instances: this.discovery.instances() };
  }
}
