import type { CandleInterval } from '../market/keys';
import { Keys } from '../market/keys';
import type { NearCache } from '../near-cache/near-cache';
import type { RedisStore } from '../store/redis-store';
import { ApiError, type QueryResult } from './api-error';
import type { PointReader } from './point-reader';
import { intervalParam, intParam, symbolParam, venueParam } from './query-params';

export const MAX_TRADES_LIMIT = 1000;
export const MAX_CANDLES_LIMIT = 1000;

/** Untrusted parameters, from an HTTP path and query or a NATS request body. */
export type Params = Record<string, unknown>;

/**
 * The market-data read API shared by HTTP and NATS: validates parameters (400 naming the bad
 * one), reads (near cache → Redis), shapes the answer. No Nest in here.
 */
export class MarketQueries {
  constructor(
    private readonly reader: PointReader,
    private readonly near: NearCache,
    private readonly store: RedisStore,
    private readonly bookDepth: number,
  ) {}

  async l1(p: Params): Promise<QueryResult> {
    const venue = venueParam(p['venue']);
    const symbol = symbolParam(p['symbol']);
    const r = await this.point(Keys.l1(venue, symbol), `no L1 for ${venue} ${symbol} yet`);
    const { v: _v, ...l1 } = JSON.parse(r.value) as Record<string, unknown>;
    return { data: l1, ...(r.stale ? { stale: r.stale } : {}) };
  }

  async book(p: Params): Promise<QueryResult> {
    const venue = venueParam(p['venue']);
    const symbol = symbolParam(p['symbol']);
    const depth = intParam('depth', p['depth'], 1, this.bookDepth, this.bookDepth);
    const r = await this.point(Keys.book(venue, symbol), `no book for ${venue} ${symbol} yet`);
    const doc = JSON.parse(r.value) as { seq: number; bids: unknown[]; asks: unknown[]; stale?: string };
    const data = { venue, symbol, seq: doc.seq, bids: doc.bids.slice(0, depth), asks: doc.asks.slice(0, depth) };
    return { data, ...(r.stale ? { stale: r.stale } : {}), ...(doc.stale ? { bookStale: doc.stale } : {}) };
  }

  async bbo(p: Params): Promise<QueryResult> {
    const symbol = symbolParam(p['symbol']);
    const r = await this.point(Keys.bbo(symbol), `no fresh quote for ${symbol} on any venue`);
    return { data: JSON.parse(r.value), ...(r.stale ? { stale: r.stale } : {}) };
  }

  async status(p: Params): Promise<QueryResult> {
    const venue = venueParam(p['venue']);
    const symbol = symbolParam(p['symbol']);
    const r = await this.point(Keys.status(venue, symbol), `no feed status for ${venue} ${symbol} yet`);
    const { v: _v, ...status } = JSON.parse(r.value) as Record<string, unknown>;
    return { data: status, ...(r.stale ? { stale: r.stale } : {}) };
  }

  /** Newest first. */
  async trades(p: Params): Promise<QueryResult> {
    const venue = venueParam(p['venue']);
    const symbol = symbolParam(p['symbol']);
    const limit = intParam('limit', p['limit'], 1, MAX_TRADES_LIMIT, 100);
    const entries = await this.redis(() => this.store.xrevrange(Keys.trades(venue, symbol), limit));
    if (entries.length === 0) throw new ApiError(404, `no trades for ${venue} ${symbol} yet`);
    return { data: { venue, symbol, trades: entries.map(([, fields]) => JSON.parse(fields[1] as string) as unknown) } };
  }

  /** Oldest first, the last `limit` candles. */
  async candles(p: Params): Promise<QueryResult> {
    const venue = venueParam(p['venue']);
    const symbol = symbolParam(p['symbol']);
    const interval: CandleInterval = intervalParam(p['interval']);
    const limit = intParam('limit', p['limit'], 1, MAX_CANDLES_LIMIT, 100);
    const members = await this.redis(() => this.store.zrevrange(Keys.candles(interval, venue, symbol), limit));
    if (members.length === 0) throw new ApiError(404, `no ${interval} candles for ${venue} ${symbol} yet`);
    return { data: { venue, symbol, interval, candles: members.reverse().map((m) => JSON.parse(m) as unknown) } };
  }

  private async point(key: string, notFound: string): Promise<{ value: string; stale?: 'redis-unavailable' }> {
    const r = await this.reader.read(this.near, key);
    if (!r) throw new ApiError(404, notFound);
    return r;
  }

  private async redis<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new ApiError(503, `Redis unavailable: ${(err as Error).message}`);
    }
  }
}
