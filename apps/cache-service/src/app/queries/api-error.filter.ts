import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';

import { ApiError } from './api-error';

/**
 * The read API never answers 500: ApiError keeps its status (400/404/503), Nest's own HTTP errors
 * (a malformed JSON body…) keep theirs as long as they are 4xx, and anything unexpected becomes a
 * 503 (logged) — a client retries, and the process keeps serving.
 */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(ApiErrorFilter.name);

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    let status = 503;
    let message = 'temporarily unavailable';
    if (err instanceof ApiError) {
      status = err.status;
      message = err.message;
    } else if (err instanceof HttpException && err.getStatus() < 500) {
      status = err.getStatus();
      message = err.message;
    } else {
      this.logger.error(`unexpected error in the read API: ${(err as Error)?.stack ?? String(err)}`.slice(0, 2000));
    }
    res.status(status).json({ status, error: message });
  }
}

/** NATS reply of an error, same shape as the HTTP body. */
export function errorReply(err: unknown): { status: number; error: string } {
  if (err instanceof ApiError) return { status: err.status, error: err.message };
  return { status: 503, error: 'temporarily unavailable' };
}
