import { Module } from '@nestjs/common';

import { PollerService } from './poller.service';

/** Polls every instance's health endpoints (needs the global discovery and aggregation modules). */
@Module({ providers: [PollerService] })
export class PollingModule {}
