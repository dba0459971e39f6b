/** A REST request through the venue's limiter. */
export interface RestRequest {
  /** Absolute URL. */
  url: string;
  /** Request weight in the venue's budget (Binance depth: 5/25/50/250 by limit). */
  weight?: number;
  /** Why (metrics label): `snapshot`, `instruments`. */
  purpose: 'snapshot' | 'instruments' | 'audit' | 'backfill';
}

/**
 * The per-venue REST client: waits for room in the weight budget, honours `Retry-After` on 429
 * and 418 (no request leaves before the ban ends), times out, and returns parsed JSON.
 * Non-2xx answers reject with `RestError`.
 */
export interface RestClient {
  getJson<T = unknown>(request: RestRequest): Promise<T>;
}

export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    message: string,
  ) {
    super(message);
    this.name = 'RestError';
  }
}
