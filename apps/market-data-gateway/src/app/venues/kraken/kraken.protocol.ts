import { krakenChecksum } from '@cryptoscalp/market';

import { parse } from 'lossless-json';

import type { BookUpdate, BookView, Continuity, LevelIn } from '../../books/book.types';

/**
 * What one Kraken frame (WebSocket v2, or v1 for the recorded captures) means to the session,
 * independent of the protocol version. Decimal strings are the venue's digits, untouched.
 */
export type KrakenEvent =
  | {
      kind: 'book';
      native: string;
      snapshot: boolean;
      bids: LevelIn[];
      asks: LevelIn[];
      /** CRC32 of the top 10 after this message (v2: snapshots and updates; v1: updates only). */
      checksum?: number;
      /** Subscribed depth when the frame names it (v1 `book-1000`). */
      depth?: number;
      /** Exchange time (ms) when the frame carries one. */
      ts?: number;
    }
  | { kind: 'trades'; native: string; trades: KrakenTrade[] }
  | { kind: 'l1'; native: string; bidPx: string; bidSz: string; askPx: string; askSz: string; ts?: number }
  /** Kraken's `heartbeat`: sent only when the connection carried nothing else for about a second. */
  | { kind: 'heartbeat' }
  /** `status` / `systemStatus` with the system state (`online`, `maintenance`, `cancel_only`, `post_only`). */
  | { kind: 'system'; state: string }
  /** A request refused by the venue (`success: false`, v1 `status: error`). */
  | { kind: 'refused'; method: string; reqId?: number; native?: string; channel?: string; error: string }
  /** Acks, pongs, channels not carried. */
  | { kind: 'other' };

export interface KrakenTrade {
  id: string;
  price: string;
  size: string;
  side: 'buy' | 'sell';
  ts: number;
}

/** Book depths Kraken accepts (v1 and v2 `book`). */
export const KRAKEN_DEPTHS = [10, 25, 100, 500, 1000] as const;

/** The smallest depth Kraken offers that covers `wanted` (at most 1000). */
export function krakenDepth(wanted: number): number {
  return KRAKEN_DEPTHS.find((d) => d >= wanted) ?? 1000;
}

/** Non-negative decimal as a venue writes it (JSON number text or string). */
const DECIMAL = /^\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/;
const UINT = /^\d{1,10}$/;

export const isDecimal = (v: unknown): v is string => typeof v === 'string' && DECIMAL.test(v);

/** A checksum as sent (v2 JSON number, v1 quoted): an unsigned 32-bit integer, or undefined. */
export function checksumOf(v: unknown): number | undefined {
  if (typeof v !== 'string' || !UINT.test(v)) return undefined;
  const n = Number(v);
  return n <= 0xffffffff ? n : undefined;
}

/**
 * Parses a v2 frame losslessly: every JSON number is kept as the text the venue wrote
 * (`0.05120` stays `"0.05120"`; its trailing zero counts in the checksum). Throws on invalid JSON.
 */
export function parseLossless(text: string): unknown {
  return parse(text, null, keepDigits);
}

function keepDigits(digits: string): string {
  return digits;
}

/** RFC 3339 (`2023-10-06T17:35:55.219022Z`) → epoch ms, or undefined. */
export function rfc3339Ms(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Kraken's book checksum over the book after an update (top 10 asks, then top 10 bids). */
export function krakenBookChecksum(view: BookView, u: BookUpdate): boolean {
  return krakenChecksum(view.top('bid', 10), view.top('ask', 10)) === u.checksum;
}

/**
 * Kraken books carry no sequence numbers: the session numbers its book messages in arrival
 * order (snapshot included), so updates older than the snapshot that replaced the book (buffered
 * during a resubscribe) are `stale`, and every later one applies. Loss shows as a checksum mismatch.
 */
export function arrivalContinuity(bookSeq: number, u: BookUpdate): Continuity {
  return u.last <= bookSeq ? 'stale' : 'apply';
}

const HEARTBEAT = '{"channel":"heartbeat"}';

/** Decodes one WebSocket v2 frame into events, or returns what is wrong with it. */
export function decodeV2(text: string): KrakenEvent[] | string {
  if (text === HEARTBEAT) return [{ kind: 'heartbeat' }];
  let msg: unknown;
  try {
    msg = parseLossless(text);
  } catch {
    return 'not JSON';
  }
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return 'not an object';
  const m = msg as Record<string, unknown>;
  const channel = m['channel'];
  if (typeof channel === 'string') {
    switch (channel) {
      case 'book':
        return v2Book(m);
      case 'trade':
        return v2Trades(m);
      case 'ticker':
        return v2Ticker(m);
      case 'heartbeat':
        return [{ kind: 'heartbeat' }];
      case 'status': {
        const d = Array.isArray(m['data']) ? (m['data'][0] as Record<string, unknown> | undefined) : undefined;
        return typeof d?.['system'] === 'string' ? [{ kind: 'system', state: d['system'] }] : 'status without data[0].system';
      }
      default:
        return [{ kind: 'other' }];
    }
  }
  if (typeof m['method'] === 'string') {
    if (m['success'] === false) {
      const result = (m['result'] ?? {}) as Record<string, unknown>;
      const reqId = typeof m['req_id'] === 'string' && UINT.test(m['req_id']) ? Number(m['req_id']) : undefined;
      const native = typeof m['symbol'] === 'string' ? m['symbol'] : typeof result['symbol'] === 'string' ? result['symbol'] : undefined;
      const ch = typeof result['channel'] === 'string' ? result['channel'] : undefined;
      return [{ kind: 'refused', method: m['method'], reqId, native, channel: ch, error: String(m['error'] ?? 'refused') }];
    }
    return [{ kind: 'other' }];
  }
  return 'neither a channel message nor a method response';
}

function v2Levels(v: unknown): LevelIn[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: LevelIn[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const l = v[i] as Record<string, unknown> | null;
    if (!l || typeof l !== 'object') return undefined;
    const price = l['price'];
    const qty = l['qty'];
    if (!isDecimal(price) || !isDecimal(qty)) return undefined;
    out[i] = [price, qty];
  }
  return out;
}

function v2Book(m: Record<string, unknown>): KrakenEvent[] | string {
  const type = m['type'];
  if (type !== 'snapshot' && type !== 'update') return 'book type is neither snapshot nor update';
  if (!Array.isArray(m['data'])) return 'book without data';
  const out: KrakenEvent[] = [];
  for (const item of m['data'] as unknown[]) {
    const d = item as Record<string, unknown> | null;
    if (!d || typeof d !== 'object' || typeof d['symbol'] !== 'string') return 'book data without symbol';
    const bids = v2Levels(d['bids'] ?? []);
    const asks = v2Levels(d['asks'] ?? []);
    if (!bids || !asks) return 'book levels are not {price, qty} decimals';
    const checksum = checksumOf(d['checksum']);
    if (checksum === undefined) return 'book without a 32-bit checksum';
    out.push({ kind: 'book', native: d['symbol'], snapshot: type === 'snapshot', bids, asks, checksum, ts: rfc3339Ms(d['timestamp']) });
  }
  return out;
}

function v2Trades(m: Record<string, unknown>): KrakenEvent[] | string {
  if (!Array.isArray(m['data'])) return 'trade without data';
  const bySymbol = new Map<string, KrakenTrade[]>();
  for (const item of m['data'] as unknown[]) {
    const t = item as Record<string, unknown> | null;
    if (!t || typeof t !== 'object') return 'trade entry is not an object';
    const { symbol, side, price, qty, trade_id: id } = t;
    if (typeof symbol !== 'string' || (side !== 'buy' && side !== 'sell')) return 'trade without symbol/side';
    if (!isDecimal(price) || !isDecimal(qty)) return 'trade price/qty are not decimals';
    if (typeof id !== 'string' || !/^\d{1,20}$/.test(id)) return 'trade without a numeric trade_id';
    const ts = rfc3339Ms(t['timestamp']);
    if (ts === undefined) return 'trade without an RFC 3339 timestamp';
    let list = bySymbol.get(symbol);
    if (!list) bySymbol.set(symbol, (list = []));
    list.push({ id, price, size: qty, side, ts });
  }
  return [...bySymbol].map(([native, trades]) => ({ kind: 'trades', native, trades }));
}

function v2Ticker(m: Record<string, unknown>): KrakenEvent[] | string {
  if (!Array.isArray(m['data'])) return 'ticker without data';
  const out: KrakenEvent[] = [];
  for (const item of m['data'] as unknown[]) {
    const d = item as Record<string, unknown> | null;
    if (!d || typeof d !== 'object' || typeof d['symbol'] !== 'string') return 'ticker without symbol';
    const { bid, bid_qty: bidQty, ask, ask_qty: askQty } = d;
    if (!isDecimal(bid) || !isDecimal(bidQty) || !isDecimal(ask) || !isDecimal(askQty)) return 'ticker bid/ask are not decimals';
    out.push({ kind: 'l1', native: d['symbol'], bidPx: bid, bidSz: bidQty, askPx: ask, askSz: askQty, ts: rfc3339Ms(d['timestamp']) });
  }
  return out;
}
