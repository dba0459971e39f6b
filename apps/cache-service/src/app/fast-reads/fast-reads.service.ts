import { MetricsRegistry } from '@cryptoscalp/metrics';
import { httpLogLevelFor } from '@cryptoscalp/platform';

import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PinoLogger } from 'nestjs-pino';

import { HOT_READ_ROUTES } from '../cache.constants';
import { KvQueries } from '../kv/kv-queries';
import { MarketQueries } from '../queries/market-queries';
import { FastReadRouter, type LogRequest, type RecordRequest } from './fast-read-router';

/**
 * Puts the FastReadRouter in front of Express on the service's own HTTP server (same port): the
 * server's `request` listeners (Express) are kept and called for every request the router does not
 * take. Node's public EventEmitter API only; Nest and Express are untouched.
 */
@Injectable()
export class FastReadsService implements OnApplicationBootstrap {
  private readonly logger = new Logger('ApiErrorFilter');
  readonly router: FastReadRouter;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    market: MarketQueries,
    kv: KvQueries,
    metrics: MetricsRegistry,
  ) {
    const histogram = metrics.histogram('http_request_duration_seconds', 'HTTP request duration by route', ['method', 'route', 'code']);
    const series = new Map<string, { observe(v: number): void }>();
    const record: RecordRequest = (route, code, seconds) => {
      const key = `${code} ${route}`;
      let child = series.get(key);
      if (!child) series.set(key, (child = histogram.labels('GET', route, String(code))));
      child.observe(seconds);
    };
    const level = httpLogLevelFor(HOT_READ_ROUTES);
    const log: LogRequest = (req, statusCode, responseTime, err) => {
      if (err !== undefined) this.logger.error(`unexpected error in the read API: ${(err as Error)?.stack ?? String(err)}`.slice(0, 2000));
      const root = PinoLogger.root as PinoLogger['logger'] | undefined;
      const lvl = level(req, { statusCode } as ServerResponse, err instanceof Error ? err : undefined);
      if (!root?.isLevelEnabled(lvl)) return;
      root[lvl](
        { req: { method: req.method, url: req.url }, res: { statusCode }, responseTime: Math.round(responseTime * 1000) / 1000 },
        statusCode >= 400 ? 'request errored' : 'request completed',
      );
    };
    this.router = new FastReadRouter(
      { l1: (p) => market.l1(p), book: (p) => market.book(p), bbo: (p) => market.bbo(p), kvGet: (p) => kv.get(p) },
      record,
      log,
    );
  }

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) return; // no HTTP server (a test module without one)
    const next = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    const router = this.router;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (router.handle(req, res)) return;
      for (const listener of next) listener.call(server, req, res);
    });
  }
}
