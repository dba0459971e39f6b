import { Controller, Get, HttpException, Param, Query } from '@nestjs/common';

import { QueryApi, type QueryName } from './query-api';
import { QueryError } from './query-params';

/** History over HTTP: thin mapping of path and query string onto QueryApi. */
@Controller('v1')
export class QueriesController {
  constructor(private readonly api: QueryApi) {}

  @Get('trades/:venue/:symbol')
  trades(@Param('venue') venue: string, @Param('symbol') symbol: string, @Query() query: Record<string, unknown>) {
    return this.call('trades', { ...query, venue, symbol });
  }

  @Get('trades/:venue/:symbol/latest')
  latest(@Param('venue') venue: string, @Param('symbol') symbol: string, @Query() query: Record<string, unknown>) {
    return this.call('latest', { ...query, venue, symbol });
  }

  @Get('candles/:venue/:symbol')
  candles(@Param('venue') venue: string, @Param('symbol') symbol: string, @Query() query: Record<string, unknown>) {
    return this.call('candles', { ...query, venue, symbol });
  }

  @Get('stats')
  stats(@Query() query: Record<string, unknown>) {
    return this.call('stats', query);
  }

  private async call(name: QueryName, input: Record<string, unknown>): Promise<unknown> {
    try {
      return await this.api.run(name, input);
    } catch (err) {
      if (err instanceof QueryError) throw new HttpException(err.body(), err.status);
      throw err;
    }
  }
}
