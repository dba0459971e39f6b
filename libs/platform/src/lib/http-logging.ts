import type { IncomingMessage, ServerResponse } from 'node:http';

const PROBES = /^\/(health|metrics)(\/|\?|$)/;

/**
 * Level of the access-log line of one HTTP request: health and metrics probes at `debug` (they
 * arrive every few seconds from every poller), errors at `error`/`warn`, the rest at `info`.
 */
export function httpLogLevel(req: IncomingMessage, res: ServerResponse, err?: Error): 'debug' | 'info' | 'warn' | 'error' {
  if (err || res.statusCode >= 500) return PROBES.test(req.url ?? '') && !err ? 'debug' : 'error';
  if (PROBES.test(req.url ?? '')) return 'debug';
  return res.statusCode >= 400 ? 'warn' : 'info';
}
