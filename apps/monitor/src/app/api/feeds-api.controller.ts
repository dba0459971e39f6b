import { Controller, Get, Query } from '@nestjs/common';
import { z } from 'zod';

import type { FeedView, VenueView } from '../feeds/feed.types';
import { FeedsService } from '../feeds/feeds.service';
import { parseOr400 } from './validation';

const FeedsQuery = z.object({
  venue: z
    .string()
    .regex(/^[a-z0-9]+$/, 'expected a venue name such as binance')
    .optional(),
  health: z.enum(['pass', 'warn', 'fail'], { error: 'expected pass, warn or fail' }).optional(),
});

/** Per venue and symbol: state, freshness, rates, sequence, counters, anomalies. */
@Controller('api')
export class FeedsApiController {
  constructor(private readonly feeds: FeedsService) {}

  @Get('feeds')
  list(@Query() query: unknown): { venues: VenueView[]; feeds: FeedView[] } {
    const q = parseOr400(FeedsQuery, query, 'query');
    const all = this.feeds.feeds();
    return {
      venues: this.feeds.venues(all),
      feeds: all.filter((f) => (!q.venue || f.venue === q.venue) && (!q.health || f.health === q.health)),
    };
  }
}
