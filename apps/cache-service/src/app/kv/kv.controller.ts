import { Body, Controller, Delete, Get, Param, Put, Query, Res, UseFilters } from '@nestjs/common';
import type { Response } from 'express';

import { ApiErrorFilter } from '../queries/api-error.filter';
import { httpResult } from '../queries/http-result';
import type { Params } from '../queries/market-queries';
import { KvQueries } from './kv-queries';

/** The generic cache API: `/v1/kv/<namespace>/<key>` (GET, PUT `{"value","ttlMs"?}`, DELETE), `GET /v1/kv/<namespace>?keys=a,b`. */
@Controller('v1')
@UseFilters(ApiErrorFilter)
export class KvController {
  constructor(private readonly kv: KvQueries) {}

  @Get('kv-stats')
  stats(@Res({ passthrough: true }) res: Response) {
    return httpResult(res, this.kv.stats());
  }

  @Get('kv/:namespace')
  mget(@Param() path: Params, @Query() query: Params, @Res({ passthrough: true }) res: Response) {
    return httpResult(res, this.kv.mget({ ...query, ...path }));
  }

  @Get('kv/:namespace/:key')
  get(@Param() path: Params, @Res({ passthrough: true }) res: Response) {
    return httpResult(res, this.kv.get(path));
  }

  @Put('kv/:namespace/:key')
  set(@Param() path: Params, @Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    const b = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Params) : {};
    return httpResult(res, this.kv.set({ value: b['value'], ttlMs: b['ttlMs'], ...path }));
  }

  @Delete('kv/:namespace/:key')
  del(@Param() path: Params, @Res({ passthrough: true }) res: Response) {
    return httpResult(res, this.kv.del(path));
  }
}
