import { Controller, Get } from '@nestjs/common';

import { FeedManager } from './feed-manager.service';

@Controller('v1/feeds')
export class FeedsController {
  constructor(private readonly feeds: FeedManager) {}

  /** Per venue and symbol: state, last message age, rate, sequence, counters. */
  @Get()
  list(): Record<string, unknown> {
    return this.feeds.describe();
  }
}
