import { candlesQuery, type Input, latestQuery, QueryError, statsQuery, tradesQuery } from './query-params';
import type { TradeQueries } from './trade-queries';

export const QUERY_NAMES = ['trades', 'candles', 'latest', 'stats'] as const;
export type QueryName = (typeof QUERY_NAMES)[number];

/**
 * One entry point for both transports: validates the untrusted input (a QueryError naming the
 * parameter) and runs the query. HTTP maps path + query string to the same input object as the
 * `db.<name>` request body.
 */
export class QueryApi {
  constructor(
    private readonly queries: TradeQueries,
    private readonly maxLimit: number,
    private readonly now: () => number = Date.now,
  ) {}

  run(name: QueryName, input: unknown): Promise<unknown> {
    const body = input ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) return Promise.reject(new QueryError(400, 'expected a JSON object of parameters', '(body)'));
    const params = body as Input;
    try {
      switch (name) {
        case 'trades':
          return this.queries.trades(tradesQuery(params, this.maxLimit));
        case 'candles':
          return this.queries.candles(candlesQuery(params, this.now()));
        case 'latest':
          return this.queries.latest(latestQuery(params));
        case 'stats':
          statsQuery(params);
          return this.queries.stats();
      }
    } catch (err) {
      return Promise.reject(err);
    }
  }
}
