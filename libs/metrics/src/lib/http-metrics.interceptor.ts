import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Histogram } from 'prom-client';
import { type Observable, tap } from 'rxjs';

import { MetricsRegistry } from './metrics-registry';

type Observe = (seconds: number) => void;

/**
 * Records `cs_http_request_duration_seconds{method,route,code}` for every HTTP handler. The labelled
 * series are looked up once per (method, route, code) and cached, so a request costs one timer read
 * at each end and one `observe`. A handler that throws is recorded once its exception filter has
 * answered, with the status code actually sent.
 */
@Injectable()
export class HttpMetricsInterceptor implements NestInterceptor {
  private readonly histogram: Histogram<'method' | 'route' | 'code'>;
  private readonly series = new Map<string, Observe>();

  constructor(metrics: MetricsRegistry) {
    this.histogram = metrics.histogram('http_request_duration_seconds', 'HTTP request duration by route', ['method', 'route', 'code']);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const start = process.hrtime.bigint();
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const record = () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unknown';
      this.observer(req.method, route, res.statusCode)(Number(process.hrtime.bigint() - start) / 1e9);
    };
    return next.handle().pipe(
      tap({
        complete: record,
        // The status is set by the exception filter, after this operator has run.
        error: () => (res.writableFinished ? record() : res.once('close', record)),
        unsubscribe: record,
      }),
    );
  }

  /** The `observe` of one labelled series (cached). */
  observer(method: string, route: string, code: number): Observe {
    const key = `${method} ${code} ${route}`;
    let observe = this.series.get(key);
    if (!observe) {
      const child = this.histogram.labels(method, route, String(code));
      observe = (seconds) => child.observe(seconds);
      this.series.set(key, observe);
    }
    return observe;
  }
}
