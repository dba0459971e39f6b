import { Controller, Get, Param, Query, Res, UseFilters } from '@nestjs/common';
import type { Response } from 'express';

import { ApiErrorFilter } from './api-error.filter';
import { httpResult } from './http-result';
import { MarketQueries, type Params } from './market-queries';

/** `GET /v1/…` market-data reads; the logic is in MarketQueries (same answers over NATS `cache.*`). */
@Controller('v1')
@UseFilters(ApiErrorFilter)
export class MarketController {
  constructor(private readonly queries: MarketQueries) {}

  @Get('l1/:venue/:symbol')
  l1(@Param() path: Params, @Res({ passthrough: true }) res: Response) {
    return httpResult(res, this.queries.l1(path));
  }

  @Get('book/:venue/:symbol')
  book(@Param() path: Params, @Query() query: Params, @Res({ passthrough: true }) res: Response) {
    return httpResult(res, this.queries.book({ ...query, ...path }));
  }

  @Get('trades/:venue/:symbol')
  trades(@Param() path: Params, @Query() query: Params, @Res({ passthrough: true }) res: Response) {
    return httpResult(res, this.queries.trades({ ...query, ...path }));
  }

  @Get('candles/:venue/:symbol')
  candles(@Param() path: Params, @Query() query: Params, @Res({ passthrough: true }) res: Response) {
    return httpResult(res, this.queries.candles({ ...query, ...path }));
  }

  @Get('status/:venue/:symbol')
  status(@Param() path: Params, @Res({ passthrough: true }) res: Response) {
    return httpResult(res, this.queries.status(path));
  }

  @Get('bbo/:symbol')
  bbo(@Param() path: Params, @Res({ passthrough: true }) res: Response) {
    return httpResult(res, this.queries.bbo(path));
  }
}
