import { Controller, Get, HttpException, HttpStatus, Param, Query } from '@nestjs/common';

import { FeedManager } from '../feeds/feed-manager.service';

const MAX_DEPTH = 5000;

/** `GET /v1/book/<venue>/<symbol>?depth=N`: the gateway's current book of a carried symbol, best first. */
@Controller('v1/book')
export class BooksController {
  constructor(private readonly feeds: FeedManager) {}

  @Get(':venue/:symbol')
  book(@Param('venue') venue: string, @Param('symbol') symbol: string, @Query('depth') depthParam?: string): Record<string, unknown> {
    let depth = 20;
    if (depthParam !== undefined) {
      depth = Number(depthParam);
      if (!/^\d+$/.test(depthParam) || depth < 1 || depth > MAX_DEPTH) {
        throw new HttpException(
          { error: `depth: expected an integer from 1 to ${MAX_DEPTH}, got "${depthParam.slice(0, 20)}"` },
          HttpStatus.BAD_REQUEST,
        );
      }
    }
    const feed = this.feeds.symbolFeed(venue, symbol);
    if (!feed) throw new HttpException({ error: `${venue} ${symbol} is not carried by this gateway` }, HttpStatus.NOT_FOUND);
    if (!feed.carried.channels.includes('l2'))
      throw new HttpException({ error: `${venue} ${symbol}: the l2 channel is not carried` }, HttpStatus.NOT_FOUND);
    const book = feed.book;
    if (!book?.isLive) {
      // Never serve an unsynced book.
      throw new HttpException(
        { error: `${venue} ${symbol}: book not synced (${book?.state ?? feed.state})` },
        HttpStatus.SERVICE_UNAVAILABLE,
      );
    }
    return { venue, symbol, seq: book.seq, bids: book.top('bid', depth), asks: book.top('ask', depth) };
  }
}
