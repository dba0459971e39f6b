import { instrumentFromSteps, type InstrumentSpec, NORMALIZED_SYMBOL } from '@cryptoscalp/market';

import type { BookUpdate, Continuity, LevelIn } from '../../books/book.types';

/**
 * Bybit v5 public WebSocket (`/v5/public/spot`, `/v5/public/linear`) and REST shapes, validated
 * field by field. Prices and sizes stay the strings Bybit sent.
 */

export type BybitCategory = 'spot' | 'linear';

/**
 * Normalized names of linear perpetuals: `<BASE>PERP-<QUOTE>` (`BTCPERP-USDT` is Bybit linear
 * `BTCUSDT`, `BTCPERP-USDC` is linear `BTCPERP`), so they never collide with the spot pair
 * (`BTC-USDT` is Bybit spot `BTCUSDT`) and still match `BASE-QUOTE` (`^[A-Z0-9]{1,20}-[A-Z0-9]{1,20}$`).
 */
export const PERP_SUFFIX = 'PERP';

export function categoryOf(normalized: string): BybitCategory {
  const base = normalized.slice(0, normalized.indexOf('-'));
  return base.length > PERP_SUFFIX.length && base.endsWith(PERP_SUFFIX) ? 'linear' : 'spot';
}

export interface BybitInstrument {
  native: string;
  instrument: InstrumentSpec;
}

/**
 * `GET /v5/market/instruments-info?category=…` → instruments that trade. Spot sizes step by
 * `lotSizeFilter.basePrecision`, linear by `lotSizeFilter.qtyStep`; only perpetuals of `linear`
 * are mapped (to the `…PERP-QUOTE` form).
 */
export function parseInstruments(body: unknown, category: BybitCategory): { list: BybitInstrument[]; cursor: string | undefined } {
  const o = body as { retCode?: unknown; result?: { list?: unknown; nextPageCursor?: unknown } } | null;
  const list: BybitInstrument[] = [];
  if (!o || typeof o !== 'object' || o.retCode !== 0 || !o.result || !Array.isArray(o.result.list)) return { list, cursor: undefined };
  const field = (v: unknown, k: string): unknown => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined);
  for (const raw of o.result.list as Record<string, unknown>[]) {
    if (!raw || typeof raw !== 'object') continue;
    const { symbol, baseCoin, quoteCoin, status, contractType } = raw;
    if (typeof symbol !== 'string' || typeof baseCoin !== 'string' || typeof quoteCoin !== 'string') continue;
    if (status !== undefined && status !== 'Trading') continue;
    if (category === 'linear' && contractType !== undefined && contractType !== 'LinearPerpetual') continue;
    const tick = field(raw['priceFilter'], 'tickSize');
    const step = field(raw['lotSizeFilter'], category === 'spot' ? 'basePrecision' : 'qtyStep');
    if (typeof tick !== 'string' || typeof step !== 'string') continue;
    try {
      const spec = instrumentFromSteps(baseCoin, quoteCoin, tick, step);
      const normalized = category === 'linear' ? `${spec.base}${PERP_SUFFIX}-${spec.quote}` : spec.symbol;
      if (!NORMALIZED_SYMBOL.test(normalized)) continue;
      list.push({ native: symbol, instrument: { ...spec, symbol: normalized } });
    } catch {
      // A coin name that is not a BASE-QUOTE token, or an odd step: not carried.
    }
  }
  const cursor = typeof o.result.nextPageCursor === 'string' && o.result.nextPageCursor ? o.result.nextPageCursor : undefined;
  return { list, cursor };
}

export interface BybitTopic {
  kind: string;
  depth?: number;
  native: string;
}

/** `orderbook.50.BTCUSDT` → `{ kind: 'orderbook', depth: 50, native: 'BTCUSDT' }`; `publicTrade.BTCUSDT` → `{ kind, native }`. */
export function parseTopic(topic: string): BybitTopic | undefined {
  const first = topic.indexOf('.');
  if (first < 0) return undefined;
  const kind = topic.slice(0, first);
  if (kind === 'orderbook') {
    const second = topic.indexOf('.', first + 1);
    const depth = Number(topic.slice(first + 1, second));
    if (second < 0 || !Number.isInteger(depth)) return undefined;
    return { kind, depth, native: topic.slice(second + 1) };
  }
  return { kind, native: topic.slice(first + 1) };
}

function isLevels(v: unknown): v is LevelIn[] {
  if (!Array.isArray(v)) return false;
  for (const l of v) if (!Array.isArray(l) || typeof l[0] !== 'string' || typeof l[1] !== 'string') return false;
  return true;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

export interface BybitBookData {
  s: string;
  b: LevelIn[];
  a: LevelIn[];
  u: number;
  seq: number | undefined;
}

export function asBookData(d: unknown): BybitBookData | string {
  const o = d as Record<string, unknown> | null;
  if (!o || typeof o !== 'object' || Array.isArray(o)) return 'orderbook data is not an object';
  if (typeof o['s'] !== 'string' || !isInt(o['u'])) return 'orderbook data without s/u';
  if (!isLevels(o['b']) || !isLevels(o['a'])) return 'orderbook b/a are not [price, size] string pairs';
  return { s: o['s'], b: o['b'], a: o['a'], u: o['u'], seq: isInt(o['seq']) ? o['seq'] : undefined };
}

/**
 * Bybit `u` continuity of deltas: each delta's `u` is the previous one + 1 (the docs: "Update ID,
 * is always in sequence"); an older `u` is stale (buffered before the snapshot that contains it).
 * Snapshots never go through this check: any snapshot replaces the book, `u=1` included (a restart).
 */
export function bybitContinuity(bookSeq: number, u: BookUpdate): Continuity {
  if (u.last <= bookSeq) return 'stale';
  if (u.last === bookSeq + 1) return 'apply';
  return 'gap';
}

export interface BybitTrade {
  id: string;
  price: string;
  size: string;
  side: 'buy' | 'sell';
  ts: number;
}

/** One `publicTrade` entry (`S` = the taker's side). */
export function asTrade(d: unknown): BybitTrade | string {
  const o = d as Record<string, unknown> | null;
  if (!o || typeof o !== 'object') return 'publicTrade entry is not an object';
  if (typeof o['i'] !== 'string' || !o['i'] || typeof o['p'] !== 'string' || typeof o['v'] !== 'string')
    return 'publicTrade entry without i/p/v';
  if (o['S'] !== 'Buy' && o['S'] !== 'Sell') return 'publicTrade S is not Buy/Sell';
  if (!isInt(o['T'])) return 'publicTrade entry without T';
  return { id: o['i'], price: o['p'], size: o['v'], side: o['S'] === 'Buy' ? 'buy' : 'sell', ts: o['T'] };
}

/**
 * Tickers: linear pushes a `snapshot` then `delta`s carrying only the fields that changed; the
 * state is the snapshot with every delta's fields merged in. Spot pushes snapshots only.
 */
export function mergeTicker(
  state: Record<string, string> | undefined,
  type: unknown,
  data: Record<string, unknown>,
): Record<string, string> | undefined {
  if (type !== 'snapshot' && !state) return undefined; // a delta without the snapshot it changes
  const out: Record<string, string> = type === 'snapshot' ? {} : { ...state };
  for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Book depths Bybit serves (`orderbook.<depth>.<symbol>`), L1 aside. */
export const BOOK_DEPTHS = [50, 200, 1000] as const;

/** The smallest served depth that holds `wanted` levels (the largest when none does). */
export function bookDepthFor(wanted: number): number {
  return BOOK_DEPTHS.find((d) => d >= wanted) ?? BOOK_DEPTHS[BOOK_DEPTHS.length - 1];
}
