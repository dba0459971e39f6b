import { timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';

import { API_OPTIONS, type ApiOptions } from './api.constants';

/** Write endpoints: `Authorization: Bearer <MONITOR_API_TOKEN>`, compared in constant time. */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(@Inject(API_OPTIONS) options: ApiOptions) {
    this.expected = options.token ? Buffer.from(options.token) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (!this.expected) throw new UnauthorizedException('write API disabled: MONITOR_API_TOKEN is not configured');
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    const given = m ? Buffer.from((m[1] as string).trim()) : undefined;
    if (!given || given.length !== this.expected.length || !timingSafeEqual(given, this.expected)) {
      throw new UnauthorizedException('a valid bearer token is required (Authorization: Bearer <token>)');
    }
    return true;
  }
}
