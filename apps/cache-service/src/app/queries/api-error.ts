/** An answer other than 200: 400 names the bad parameter, 404 no data yet, 503 Redis unavailable. */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 404 | 503,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** What a query answers: the body, and why it may be stale. */
export interface QueryResult {
  data: unknown;
  /** `redis-unavailable`: served from the near cache while Redis cannot be reached. */
  stale?: 'redis-unavailable';
  /** The book is not trustworthy until the next snapshot (`gap`, `resync`, …). */
  bookStale?: string;
}
