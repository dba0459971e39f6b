import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';

import { ApiError, type QueryResult } from '../queries/api-error';
import { errorReply } from '../queries/api-error.filter';
import type { Params } from '../queries/market-queries';

/** The queries the fast path serves (MarketQueries and KvQueries). */
export interface FastReadQueries {
  l1(p: Params): Promise<QueryResult>;
  book(p: Params): Promise<QueryResult>;
  bbo(p: Params): Promise<QueryResult>;
  kvGet(p: Params): Promise<QueryResult>;
}

/** Records one request in `cs_http_request_duration_seconds{method,route,code}`. */
export type RecordRequest = (route: string, code: number, seconds: number) => void;

/** Writes the access-log line of one request (the platform's level rules: success below info, 4xx warn, 5xx error); `err` is an unexpected error. */
export type LogRequest = (req: IncomingMessage, statusCode: number, responseTimeMs: number, err?: unknown) => void;

interface Route {
  /** The Nest route path, used as the metric label (the same series as the Nest handler's). */
  label: string;
  run(q: FastReadQueries, a: string, b: string | undefined, query: string | undefined): Promise<QueryResult>;
}

const L1: Route = { label: '/v1/l1/:venue/:symbol', run: (q, venue, symbol) => q.l1({ venue, symbol }) };
const BOOK: Route = {
  label: '/v1/book/:venue/:symbol',
  // As Express: the query string parsed by node:querystring, path parameters win.
  run: (q, venue, symbol, query) => q.book(query ? { ...parseQuery(query), venue, symbol } : { venue, symbol }),
};
const BBO: Route = { label: '/v1/bbo/:symbol', run: (q, symbol) => q.bbo({ symbol }) };
const KV_GET: Route = { label: '/v1/kv/:namespace/:key', run: (q, namespace, key) => q.kvGet({ namespace, key }) };

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The hot read routes — `GET /v1/l1/<venue>/<symbol>`, `/v1/book/<venue>/<symbol>?depth=N`,
 * `/v1/bbo/<symbol>`, `/v1/kv/<namespace>/<key>` — answered straight from the HTTP server's
 * `request` event, before Express and Nest: the same queries (validation, 400/404/503 bodies),
 * the same headers (`Cache-Control: no-store` on success, `X-Cache-Stale`, `X-Book-Stale`), the
 * same metric series, and the access log at the platform's levels. Only the canonical form of
 * those paths is taken; anything else (other methods and paths, a trailing slash, other letter
 * case, a `%`-escape that does not decode, a CORS request with an `Origin` header) returns
 * `false` and goes to Nest unchanged. Plain TypeScript, no Nest.
 */
export class FastReadRouter {
  constructor(
    private readonly queries: FastReadQueries,
    private readonly record: RecordRequest,
    private readonly log: LogRequest,
  ) {}

  /** Serves the request if it is one of the hot routes; `false` leaves it to Nest. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url;
    if (req.method !== 'GET' || url === undefined || !url.startsWith('/v1/') || req.headers.origin !== undefined) return false;
    const qs = url.indexOf('?');
    const path = qs < 0 ? url : url.slice(0, qs);
    const parts = path.split('/'); // ['', 'v1', route, a, b?]
    let route: Route | undefined;
    if (parts.length === 5) {
      const name = parts[2];
      route = name === 'l1' ? L1 : name === 'book' ? BOOK : name === 'kv' ? KV_GET : undefined;
    } else if (parts.length === 4 && parts[2] === 'bbo') {
      route = BBO;
    }
    if (!route) return false;
    const a = decodeSegment(parts[3] as string);
    const b = parts.length === 5 ? decodeSegment(parts[4] as string) : null;
    if (a === undefined || b === undefined) return false;
    this.serve(route, req, res, a, b ?? undefined, qs < 0 ? undefined : url.slice(qs + 1));
    return true;
  }

  private serve(route: Route, req: IncomingMessage, res: ServerResponse, a: string, b: string | undefined, query: string | undefined): void {
    const start = process.hrtime.bigint();
    let result: Promise<QueryResult>;
    try {
      result = route.run(this.queries, a, b, query);
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (r) => {
        const body = JSON.stringify(r.data);
        res.statusCode = 200;
        res.setHeader('Cache-Control', 'no-store');
        if (r.stale) res.setHeader('X-Cache-Stale', r.stale);
        if (r.bookStale) res.setHeader('X-Book-Stale', r.bookStale);
        this.finish(route, req, res, start, body);
      },
      (err: unknown) => {
        const reply = errorReply(err);
        res.statusCode = reply.status;
        // As ApiErrorFilter: anything but an ApiError is unexpected, answered 503 and logged.
        this.finish(route, req, res, start, JSON.stringify(reply), err instanceof ApiError ? undefined : err);
      },
    );
  }

  private finish(route: Route, req: IncomingMessage, res: ServerResponse, start: bigint, body: string, err?: unknown): void {
    res.setHeader('Content-Type', JSON_TYPE);
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    this.record(route.label, res.statusCode, seconds);
    this.log(req, res.statusCode, seconds * 1000, err);
  }
}

/** A path segment decoded as Express decodes parameters; `undefined` when it would not match (empty, bad escape). */
function decodeSegment(s: string): string | undefined {
  if (s.length === 0) return undefined;
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
