import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { finalize, type Observable } from 'rxjs';

import { MetricsRegistry } from './metrics-registry';

/** Records `cs_http_request_duration_seconds{method,route,code}` for every HTTP handler. */
@Injectable()
export class HttpMetricsInterceptor implements NestInterceptor {
  private readonly histogram;

  constructor(metrics: MetricsRegistry) {
    this.histogram = metrics.histogram('http_request_duration_seconds', 'HTTP request duration by route', ['method', 'route', 'code']);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const start = process.hrtime.bigint();
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    return next.handle().pipe(
      finalize(() => {
        const res = http.getResponse<Response>();
        const route = (req.route as { path?: string } | undefined)?.path ?? 'unknown';
        this.histogram.observe({ method: req.method, route, code: String(res.statusCode) }, Number(process.hrtime.bigint() - start) / 1e9);
      }),
    );
  }
}
