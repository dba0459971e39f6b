import type { Response } from 'express';

import type { QueryResult } from './api-error';

/** Sends a query's data as the body and its staleness as headers (`X-Cache-Stale`, `X-Book-Stale`). */
export async function httpResult(res: Response, result: Promise<QueryResult> | QueryResult): Promise<unknown> {
  const r = await result;
  res.setHeader('Cache-Control', 'no-store');
  if (r.stale) res.setHeader('X-Cache-Stale', r.stale);
  if (r.bookStale) res.setHeader('X-Book-Stale', r.bookStale);
  return r.data;
}
