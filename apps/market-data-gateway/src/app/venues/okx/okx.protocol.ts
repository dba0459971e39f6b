import { okxChecksum } from '@cryptoscalp/market';

import type { BookSnapshot, BookUpdate, BookView, Continuity, LevelIn } from '../../books/book.types';

/**
 * OKX v5 public WebSocket and REST shapes, validated field by field (everything from the network
 * is untrusted). Prices and sizes stay the strings OKX sent.
 */

/** Channels whose pushes keep a book by `seqId`/`prevSeqId` (`books` is public; the tbt ones need a VIP login). */
export const OKX_BOOK_CHANNELS = new Set(['books', 'books-l2-tbt', 'books50-l2-tbt']);

/** One `books` push entry: levels as `[px, sz]` (OKX sends `[px, sz, "0", numOrders]`; the extra fields are dropped). */
export interface OkxBookData {
  bids: LevelIn[];
  asks: LevelIn[];
  ts: number;
  seqId: number;
  prevSeqId: number;
  /** 0 when OKX does not send one (deprecated, always 0 in production since 23 June 2026). */
  checksum: number;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** `"1597026383085"` → 1597026383085, or NaN. */
function msOf(v: unknown): number {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : NaN;
  return typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : NaN;
}

/** OKX levels `[px, sz, …]` → `[px, sz]`, or undefined when a level is not two strings. */
export function okxLevels(v: unknown): LevelIn[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: LevelIn[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const l = v[i] as unknown;
    if (!Array.isArray(l) || typeof l[0] !== 'string' || typeof l[1] !== 'string') return undefined;
    out[i] = [l[0], l[1]];
  }
  return out;
}

export function asBookData(d: unknown): OkxBookData | string {
  const o = d as Record<string, unknown> | null;
  if (!o || typeof o !== 'object') return 'books data entry is not an object';
  const bids = okxLevels(o['bids']);
  const asks = okxLevels(o['asks']);
  if (!bids || !asks) return 'books bids/asks are not [price, size, …] string arrays';
  const ts = msOf(o['ts']);
  if (Number.isNaN(ts)) return 'books entry without a ts';
  if (!isInt(o['seqId']) || !isInt(o['prevSeqId'])) return 'books entry without integer seqId/prevSeqId';
  const checksum = o['checksum'] === undefined ? 0 : o['checksum'];
  if (!isInt(checksum)) return 'books checksum is not an integer';
  return { bids, asks, ts, seqId: o['seqId'], prevSeqId: o['prevSeqId'], checksum };
}

/**
 * OKX `books` continuity: an update continues the book when its `prevSeqId` is the book's `seqId`
 * (seqIds jump by arbitrary steps, so nothing else can be assumed). Keepalives (`seqId ==
 * prevSeqId`, no levels) follow the same rule. An update whose `seqId` is at or below the book's
 * is old (buffered before a snapshot that already contains it); anything else is a gap. Sequence
 * resets (`seqId < prevSeqId`) are recognised by the session before this check (`isSequenceReset`).
 */
export function okxContinuity(bookSeq: number, u: BookUpdate): Continuity {
  if (u.prev === bookSeq && u.last >= bookSeq) return 'apply';
  if (u.last <= bookSeq) return 'stale';
  return 'gap';
}

/** OKX: "seqId < prevSeqId" means the sequence was reset (maintenance); the book must be rebuilt. */
export function isSequenceReset(d: { seqId: number; prevSeqId: number }): boolean {
  return d.prevSeqId >= 0 && d.seqId < d.prevSeqId;
}

/** The OKX checksum of the book's best 25 levels a side (signed CRC32 of the strings as received). */
export function okxBookChecksum(view: BookView): number {
  return okxChecksum(view.top('bid', 25), view.top('ask', 25));
}

/** Checksum of a snapshot's own levels (snapshots are sent best first). */
export function okxSnapshotChecksum(bids: readonly LevelIn[], asks: readonly LevelIn[]): number {
  return okxChecksum(bids.slice(0, 25), asks.slice(0, 25));
}

export interface OkxTrade {
  tradeId: string;
  px: string;
  sz: string;
  side: 'buy' | 'sell';
  ts: number;
}

/** One `trades` entry (side = the taker's side). */
export function asTrade(d: unknown): OkxTrade | string {
  const o = d as Record<string, unknown> | null;
  if (!o || typeof o !== 'object') return 'trades entry is not an object';
  if (typeof o['tradeId'] !== 'string' || !o['tradeId'] || typeof o['px'] !== 'string' || typeof o['sz'] !== 'string')
    return 'trades entry without tradeId/px/sz';
  if (o['side'] !== 'buy' && o['side'] !== 'sell') return 'trades side is not buy/sell';
  const ts = msOf(o['ts']);
  if (Number.isNaN(ts)) return 'trades entry without a ts';
  return { tradeId: o['tradeId'], px: o['px'], sz: o['sz'], side: o['side'], ts };
}

export interface OkxBbo {
  bid: LevelIn | undefined;
  ask: LevelIn | undefined;
  ts: number;
  seqId: number | undefined;
}

/** One `bbo-tbt` entry. */
export function asBbo(d: unknown): OkxBbo | string {
  const o = d as Record<string, unknown> | null;
  if (!o || typeof o !== 'object') return 'bbo-tbt entry is not an object';
  const bids = okxLevels(o['bids']);
  const asks = okxLevels(o['asks']);
  if (!bids || !asks) return 'bbo-tbt bids/asks are not [price, size, …] string arrays';
  const ts = msOf(o['ts']);
  if (Number.isNaN(ts)) return 'bbo-tbt entry without a ts';
  return { bid: bids[0], ask: asks[0], ts, seqId: isInt(o['seqId']) ? o['seqId'] : undefined };
}

/**
 * `GET /api/v5/market/books` → a snapshot. Only a body with `seqId` (the REST snapshot that
 * continues the WebSocket chain) can start a book; without it the answer is `'no seqId'`.
 */
export function parseRestBooks(body: unknown, recvUs: number): BookSnapshot | string {
  const o = body as Record<string, unknown> | null;
  if (!o || typeof o !== 'object') return 'books response is not an object';
  if (o['code'] !== '0' && o['code'] !== 0) return `books response code ${String(o['code'])}: ${String(o['msg']).slice(0, 100)}`;
  const d = (Array.isArray(o['data']) ? o['data'][0] : undefined) as Record<string, unknown> | undefined;
  if (!d || typeof d !== 'object') return 'books response without data';
  const bids = okxLevels(d['bids']);
  const asks = okxLevels(d['asks']);
  if (!bids || !asks) return 'books response bids/asks are not [price, size, …] string arrays';
  const seqId = d['seqId'];
  if (!isInt(seqId)) return 'no seqId';
  const ts = msOf(d['ts']);
  return { seq: seqId, bids, asks, ts: Number.isNaN(ts) ? Math.floor(recvUs / 1000) : ts, recvTs: recvUs };
}

export interface OkxInstrument {
  instId: string;
  baseCcy: string;
  quoteCcy: string;
  tickSz: string;
  lotSz: string;
}

/** `GET /api/v5/public/instruments?instType=SPOT` → the live instruments (others dropped). */
export function parseInstruments(body: unknown): OkxInstrument[] {
  const o = body as Record<string, unknown> | null;
  if (!o || typeof o !== 'object' || !Array.isArray(o['data'])) return [];
  const out: OkxInstrument[] = [];
  for (const raw of o['data'] as Record<string, unknown>[]) {
    if (!raw || typeof raw !== 'object') continue;
    const { instId, baseCcy, quoteCcy, tickSz, lotSz, state } = raw;
    if (typeof instId !== 'string' || typeof baseCcy !== 'string' || typeof quoteCcy !== 'string') continue;
    if (typeof tickSz !== 'string' || typeof lotSz !== 'string') continue;
    if (state !== undefined && state !== 'live') continue;
    out.push({ instId, baseCcy, quoteCcy, tickSz, lotSz });
  }
  return out;
}
