import type { BookSnapshot, Continuity, LevelIn } from '../../books/book.types';

/** Binance spot REST depth weight by `limit` (1–100: 5, 101–500: 25, 501–1000: 50, 1001–5000: 250). */
export function depthWeight(limit: number): number {
  if (limit <= 100) return 5;
  if (limit <= 500) return 25;
  if (limit <= 1000) return 50;
  return 250;
}

/**
 * The documented spot procedure ("How to manage a local order book correctly"): an event whose
 * `u` is at or below the book's update id is old (drop it); an event whose `U` is above the
 * book's update id + 1 means events were missed (resync); otherwise `U <= id + 1 <= u`: apply.
 * The same rule picks the first buffered event after a snapshot (`U <= lastUpdateId + 1 <= u`) and
 * checks every later one (`U == previous u + 1` on a gap-free stream).
 */
export function binanceContinuity(bookSeq: number, u: { first: number; last: number }): Continuity {
  if (u.last <= bookSeq) return 'stale';
  if (u.first > bookSeq + 1) return 'gap';
  return 'apply';
}

function isLevels(v: unknown): v is LevelIn[] {
  if (!Array.isArray(v)) return false;
  for (const l of v) {
    if (!Array.isArray(l) || typeof l[0] !== 'string' || typeof l[1] !== 'string') return false;
  }
  return true;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** Validates a `GET /api/v3/depth` body into a snapshot, or returns the problem. */
export function parseDepthSnapshot(body: unknown, recvUs: number): BookSnapshot | string {
  const o = body as Record<string, unknown> | null;
  if (!o || typeof o !== 'object') return 'depth snapshot is not an object';
  if (!isInt(o['lastUpdateId'])) return 'depth snapshot without a numeric lastUpdateId';
  if (!isLevels(o['bids']) || !isLevels(o['asks'])) return 'depth snapshot bids/asks are not [price, size] string pairs';
  const ms = Math.floor(recvUs / 1000);
  return { seq: o['lastUpdateId'], bids: o['bids'], asks: o['asks'], ts: ms, recvTs: recvUs };
}

export interface DepthEvent {
  s: string;
  E: number;
  U: number;
  u: number;
  b: LevelIn[];
  a: LevelIn[];
}

export function asDepthEvent(d: Record<string, unknown>): DepthEvent | string {
  if (typeof d['s'] !== 'string' || !isInt(d['U']) || !isInt(d['u']) || !isInt(d['E'])) return 'depthUpdate without s/E/U/u';
  if (!isLevels(d['b']) || !isLevels(d['a'])) return 'depthUpdate b/a are not [price, size] string pairs';
  if (d['U'] > d['u']) return 'depthUpdate with U > u';
  return d as unknown as DepthEvent;
}

export interface TradeEvent {
  s: string;
  E: number;
  T: number;
  p: string;
  q: string;
  m: boolean;
  /** `trade`: the trade id. */
  t?: number;
  /** `aggTrade`: the aggregate id (first/last trade ids in f/l). */
  a?: number;
}

export function asTradeEvent(d: Record<string, unknown>, agg: boolean): TradeEvent | string {
  const id = agg ? d['a'] : d['t'];
  if (typeof d['s'] !== 'string' || !isInt(id) || typeof d['p'] !== 'string' || typeof d['q'] !== 'string' || typeof d['m'] !== 'boolean') {
    return `${agg ? 'aggTrade' : 'trade'} without s/${agg ? 'a' : 't'}/p/q/m`;
  }
  if (!isInt(d['T']) && !isInt(d['E'])) return 'trade without a time';
  return d as unknown as TradeEvent;
}

export interface BookTickerEvent {
  u: number;
  s: string;
  b: string;
  B: string;
  a: string;
  A: string;
}

export function asBookTicker(d: Record<string, unknown>): BookTickerEvent | string {
  if (!isInt(d['u']) || typeof d['s'] !== 'string') return 'bookTicker without u/s';
  for (const k of ['b', 'B', 'a', 'A']) if (typeof d[k] !== 'string') return `bookTicker field ${k} is not a string`;
  return d as unknown as BookTickerEvent;
}

/** Strips a trailing `/ws` or `/stream` (so `ws://host:9101/ws`, as the simulator lists it, works too). */
export function streamBase(wsUrl: string): string {
  return wsUrl.replace(/\/+$/, '').replace(/\/(ws|stream)$/, '');
}
