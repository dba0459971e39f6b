import { createHmac } from 'node:crypto';

import type { LevelIn } from '../../books/book.types';

/**
 * Coinbase Exchange WebSocket feed and REST shapes (docs.cdp.coinbase.com → Exchange → WebSocket
 * feed / REST "Get product book"). Every validator returns the typed message or the problem.
 */

/** Channel names on the feed. `level2` needs a signed subscribe; `level2_batch` is the public 50 ms batch of it. */
export type CoinbaseChannel = 'level2' | 'level2_batch' | 'matches' | 'ticker' | 'heartbeat';

/** API credentials for the signed subscribe (secrets: never logged, never in error messages). */
export interface CoinbaseCredentials {
  key: string;
  /** Base64, as the venue hands it out. */
  secret: string;
  passphrase: string;
}

/**
 * The documented WebSocket signature: base64(HMAC-SHA256(base64decode(secret), timestamp + 'GET' +
 * '/users/self/verify')), the same as signing `GET /users/self/verify` on the REST API.
 */
export function signSubscribe(credentials: CoinbaseCredentials, timestamp: string): string {
  const key = Buffer.from(credentials.secret, 'base64');
  return createHmac('sha256', key).update(`${timestamp}GET/users/self/verify`).digest('base64');
}

/** One subscribe (or unsubscribe) message; signed when credentials are given. */
export function subscribeMessage(
  type: 'subscribe' | 'unsubscribe',
  channels: readonly { name: CoinbaseChannel; product_ids: readonly string[] }[],
  credentials?: CoinbaseCredentials,
  nowMs: number = Date.now(),
): string {
  const msg: Record<string, unknown> = { type, channels };
  if (credentials && type === 'subscribe') {
    const timestamp = (nowMs / 1000).toFixed(3);
    msg['signature'] = signSubscribe(credentials, timestamp);
    msg['key'] = credentials.key;
    msg['passphrase'] = credentials.passphrase;
    msg['timestamp'] = timestamp;
  }
  return JSON.stringify(msg);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const DECIMAL = /^\d+(\.\d+)?$/;
const isDecimal = (v: unknown): v is string => typeof v === 'string' && DECIMAL.test(v);

/** `[price, size]` pairs (the REST book adds a third element: order count or order id — ignored). */
function levels(v: unknown): LevelIn[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: LevelIn[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const l = v[i] as unknown[];
    if (!Array.isArray(l) || !isDecimal(l[0]) || !isDecimal(l[1])) return undefined;
    out[i] = l.length === 2 ? (l as unknown as LevelIn) : [l[0], l[1]];
  }
  return out;
}

/**
 * ISO-8601 time with microseconds (`2021-04-17T16:43:37.075687Z`) → epoch ms. `Date.parse` keeps
 * the milliseconds; NaN for anything else.
 */
export function isoToMs(v: unknown): number {
  return typeof v === 'string' ? Date.parse(v) : NaN;
}

export interface SnapshotMsg {
  product_id: string;
  bids: LevelIn[];
  asks: LevelIn[];
}

export function asSnapshot(m: Record<string, unknown>): SnapshotMsg | string {
  if (typeof m['product_id'] !== 'string') return 'snapshot without product_id';
  const bids = levels(m['bids']);
  const asks = levels(m['asks']);
  if (!bids || !asks) return 'snapshot bids/asks are not [price, size] decimal strings';
  return { product_id: m['product_id'], bids, asks };
}

export interface L2UpdateMsg {
  product_id: string;
  bids: LevelIn[];
  asks: LevelIn[];
  ts: number;
}

/** `l2update`: every change of the message (never only the first), split by side; sizes are absolute ("0" removes). */
export function asL2Update(m: Record<string, unknown>): L2UpdateMsg | string {
  if (typeof m['product_id'] !== 'string') return 'l2update without product_id';
  const changes = m['changes'];
  if (!Array.isArray(changes)) return 'l2update without changes';
  const bids: LevelIn[] = [];
  const asks: LevelIn[] = [];
  for (const c of changes as unknown[][]) {
    if (!Array.isArray(c) || !isDecimal(c[1]) || !isDecimal(c[2])) return 'l2update change is not [side, price, size]';
    if (c[0] === 'buy') bids.push([c[1], c[2]]);
    else if (c[0] === 'sell') asks.push([c[1], c[2]]);
    else return `l2update change with side ${String(c[0]).slice(0, 10)}`;
  }
  const ts = isoToMs(m['time']);
  if (Number.isNaN(ts)) return 'l2update without a valid time';
  return { product_id: m['product_id'], bids, asks, ts };
}

export interface MatchMsg {
  product_id: string;
  trade_id: number;
  price: string;
  size: string;
  /** The maker's side (Coinbase): the taker is on the other side. */
  side: 'buy' | 'sell';
  ts: number;
}

/** `match` and `last_match`. */
export function asMatch(m: Record<string, unknown>): MatchMsg | string {
  const { product_id, trade_id, price, size, side } = m;
  if (typeof product_id !== 'string' || !isInt(trade_id)) return 'match without product_id/trade_id';
  if (!isDecimal(price) || !isDecimal(size)) return 'match price/size are not decimal strings';
  if (side !== 'buy' && side !== 'sell') return 'match side is not buy/sell';
  const ts = isoToMs(m['time']);
  if (Number.isNaN(ts)) return 'match without a valid time';
  return { product_id, trade_id, price, size, side, ts };
}

export interface TickerMsg {
  product_id: string;
  best_bid: string;
  best_ask: string;
  /** Absent in feeds older than 2022 (and in the recorded capture). */
  best_bid_size?: string;
  best_ask_size?: string;
  sequence?: number;
  ts: number;
}

export function asTicker(m: Record<string, unknown>): TickerMsg | string {
  const { product_id, best_bid, best_ask, best_bid_size, best_ask_size, sequence } = m;
  if (typeof product_id !== 'string') return 'ticker without product_id';
  if (!isDecimal(best_bid) || !isDecimal(best_ask)) return 'ticker best_bid/best_ask are not decimal strings';
  if (best_bid_size !== undefined && !isDecimal(best_bid_size)) return 'ticker best_bid_size is not a decimal string';
  if (best_ask_size !== undefined && !isDecimal(best_ask_size)) return 'ticker best_ask_size is not a decimal string';
  const ts = isoToMs(m['time']);
  if (Number.isNaN(ts)) return 'ticker without a valid time';
  return {
    product_id,
    best_bid,
    best_ask,
    best_bid_size: best_bid_size as string | undefined,
    best_ask_size: best_ask_size as string | undefined,
    sequence: isInt(sequence) ? sequence : undefined,
    ts,
  };
}

export interface HeartbeatMsg {
  product_id: string;
  last_trade_id: number;
}

export function asHeartbeat(m: Record<string, unknown>): HeartbeatMsg | string {
  if (typeof m['product_id'] !== 'string' || !isInt(m['last_trade_id'])) return 'heartbeat without product_id/last_trade_id';
  return { product_id: m['product_id'], last_trade_id: m['last_trade_id'] };
}

/** `GET /products/<id>/book?level=1|2` → best-first levels (`[price, size, num-orders]` cut to `[price, size]`). */
export function parseProductBook(body: unknown): { bids: LevelIn[]; asks: LevelIn[] } | string {
  const o = body as Record<string, unknown> | null;
  if (!o || typeof o !== 'object') return 'product book is not an object';
  const bids = levels(o['bids']);
  const asks = levels(o['asks']);
  if (!bids || !asks) return 'product book bids/asks are not [price, size, …] decimal strings';
  return { bids, asks };
}

/** One element of `GET /products`. */
export interface ProductInfo {
  id?: unknown;
  base_currency?: unknown;
  quote_currency?: unknown;
  quote_increment?: unknown;
  base_increment?: unknown;
  status?: unknown;
}

/**
 * The product id named in a frame we could not parse (a truncated `l2update` still names it), so
 * that only that product's book is resynced.
 */
export function productIdIn(text: string): string | undefined {
  return /"product_id"\s*:\s*"([A-Za-z0-9-]{1,40})"/.exec(text)?.[1];
}
