import type { LevelIn } from '../../books/book.types';
import { checksumOf, isDecimal, type KrakenEvent, type KrakenTrade } from './kraken.protocol';

/**
 * Kraken WebSocket v1 (`wss://ws.kraken.com`), kept for replaying the recorded captures: data
 * frames are arrays `[channelID, payload…, channelName, pair]`, every decimal is a quoted string,
 * events are objects with `event`. Book updates may split asks and bids over two payload objects
 * (`{"a":…}`, `{"b":…,"c":…}`); the checksum `c` is in the last one and covers the book after both.
 */
export function decodeV1(text: string): KrakenEvent[] | string {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (Array.isArray(msg)) return v1Data(msg);
  if (!msg || typeof msg !== 'object') return 'not an object or array';
  const m = msg as Record<string, unknown>;
  switch (m['event']) {
    case 'heartbeat':
      return [{ kind: 'heartbeat' }];
    case 'systemStatus':
      return typeof m['status'] === 'string' ? [{ kind: 'system', state: m['status'] }] : 'systemStatus without status';
    case 'subscriptionStatus': {
      if (m['status'] !== 'error') return [{ kind: 'other' }];
      const sub = (m['subscription'] ?? {}) as Record<string, unknown>;
      return [
        {
          kind: 'refused',
          method: 'subscribe',
          native: typeof m['pair'] === 'string' ? m['pair'] : undefined,
          channel: typeof sub['name'] === 'string' ? sub['name'] : undefined,
          error: String(m['errorMessage'] ?? 'refused'),
        },
      ];
    }
    case 'pong':
      return [{ kind: 'other' }];
    default:
      return typeof m['event'] === 'string' ? [{ kind: 'other' }] : 'object without event';
  }
}

function v1Data(arr: unknown[]): KrakenEvent[] | string {
  if (arr.length < 4) return 'data frame shorter than [channelID, payload, channelName, pair]';
  const name = arr[arr.length - 2];
  const pair = arr[arr.length - 1];
  if (typeof name !== 'string' || typeof pair !== 'string') return 'data frame without channelName/pair';
  const payload = arr.slice(1, -2);
  if (name.startsWith('book-')) return v1Book(payload, pair, Number(name.slice(5)));
  if (name === 'trade') return v1Trades(payload[0], pair);
  if (name === 'ticker') return v1Ticker(payload[0], pair);
  return [{ kind: 'other' }];
}

/** `[price, volume, timestamp]` or, for republished levels, `[price, volume, timestamp, "r"]`. */
function v1Levels(v: unknown, out: LevelIn[]): number | undefined {
  if (!Array.isArray(v)) return undefined;
  let ts = 0;
  for (const l of v as unknown[]) {
    if (!Array.isArray(l) || !isDecimal(l[0]) || !isDecimal(l[1])) return undefined;
    out.push([l[0], l[1]]);
    const t = Number(l[2]);
    if (t > ts) ts = t;
  }
  return ts;
}

function v1Book(payload: unknown[], pair: string, depth: number): KrakenEvent[] | string {
  const bids: LevelIn[] = [];
  const asks: LevelIn[] = [];
  let snapshot = false;
  let checksum: number | undefined;
  let ts = 0;
  for (const p of payload) {
    if (!p || typeof p !== 'object' || Array.isArray(p)) return 'book payload is not an object';
    const o = p as Record<string, unknown>;
    const parts: [string, LevelIn[]][] = [];
    if ('as' in o || 'bs' in o) {
      snapshot = true;
      parts.push(['as', asks], ['bs', bids]);
    } else parts.push(['a', asks], ['b', bids]);
    for (const [key, into] of parts) {
      if (!(key in o)) continue;
      const t = v1Levels(o[key], into);
      if (t === undefined) return `book ${key} levels are not [price, volume, time] decimals`;
      if (t > ts) ts = t;
    }
    if ('c' in o) {
      checksum = checksumOf(o['c']);
      if (checksum === undefined) return 'book checksum c is not a 32-bit integer';
    }
  }
  if (!snapshot && checksum === undefined) return 'book update without checksum';
  return [
    {
      kind: 'book',
      native: pair,
      snapshot,
      bids,
      asks,
      checksum,
      depth: Number.isInteger(depth) && depth > 0 ? depth : undefined,
      ts: ts > 0 ? Math.floor(ts * 1000) : undefined,
    },
  ];
}

/**
 * `[[price, volume, time, side b|s, orderType, misc], …]`. v1 trades carry no id: the id is
 * `<time>:<price>:<volume>:<index in the frame>` (time has microseconds): stable when the same
 * frame is replayed, distinct for distinct fills.
 */
function v1Trades(v: unknown, pair: string): KrakenEvent[] | string {
  if (!Array.isArray(v)) return 'trade payload is not an array';
  const trades: KrakenTrade[] = [];
  for (let i = 0; i < v.length; i++) {
    const t = v[i] as unknown[];
    if (!Array.isArray(t) || !isDecimal(t[0]) || !isDecimal(t[1]) || !isDecimal(t[2]) || (t[3] !== 'b' && t[3] !== 's'))
      return 'trade entry is not [price, volume, time, b|s, …]';
    trades.push({
      id: `${t[2]}:${t[0]}:${t[1]}:${i}`,
      price: t[0],
      size: t[1],
      side: t[3] === 'b' ? 'buy' : 'sell',
      ts: Math.floor(Number(t[2]) * 1000),
    });
  }
  return [{ kind: 'trades', native: pair, trades }];
}

/** `{"a":[price, wholeLotVolume, lotVolume], "b":[…], …}`: best ask and bid with their volumes. */
function v1Ticker(v: unknown, pair: string): KrakenEvent[] | string {
  const o = v as Record<string, unknown> | null;
  const a = o?.['a'] as unknown[] | undefined;
  const b = o?.['b'] as unknown[] | undefined;
  if (!Array.isArray(a) || !Array.isArray(b) || !isDecimal(a[0]) || !isDecimal(a[2]) || !isDecimal(b[0]) || !isDecimal(b[2]))
    return 'ticker without a/b [price, wholeLotVolume, lotVolume]';
  return [{ kind: 'l1', native: pair, bidPx: b[0], bidSz: b[2], askPx: a[0], askSz: a[2] }];
}

/** `{"event":"subscribe","pair":[…],"subscription":{…}}` (v1 resubscribe of one pair's book). */
export function v1BookRequest(event: 'subscribe' | 'unsubscribe', pair: string, depth: number, reqid: number): string {
  return JSON.stringify({ event, reqid, pair: [pair], subscription: { name: 'book', depth } });
}
