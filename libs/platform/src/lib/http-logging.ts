import type { IncomingMessage, ServerResponse } from 'node:http';

const PROBES = /^\/(health|metrics)(\/|\?|$)/;

export type HttpLogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Level of the access-log line of one HTTP request: health and metrics probes at `debug` (they
 * arrive every few seconds from every poller), errors at `error`/`warn`, the rest at `info`.
 */
export function httpLogLevel(req: IncomingMessage, res: ServerResponse, err?: Error): HttpLogLevel {
  if (err || res.statusCode >= 500) return PROBES.test(req.url ?? '') && !err ? 'debug' : 'error';
  if (PROBES.test(req.url ?? '')) return 'debug';
  return res.statusCode >= 400 ? 'warn' : 'info';
}

/**
 * `httpLogLevel`, with a service's hot read routes (`GET`/`HEAD` on a path starting with one of
 * `hotRoutes`, e.g. `/v1/l1/`) logged at `debug` when they succeed: at thousands of reads a second
 * an access line each would cost more than the read. Their 4xx stay at `warn`, 5xx at `error`.
 */
export function httpLogLevelFor(hotRoutes: readonly string[] = []): typeof httpLogLevel {
  if (hotRoutes.length === 0) return httpLogLevel;
  return (req, res, err) => {
    const level = httpLogLevel(req, res, err);
    if (level !== 'info' || (req.method !== 'GET' && req.method !== 'HEAD')) return level;
    const url = req.url ?? '';
    for (const prefix of hotRoutes) if (url.startsWith(prefix)) return 'debug';
    return level;
  };
}
