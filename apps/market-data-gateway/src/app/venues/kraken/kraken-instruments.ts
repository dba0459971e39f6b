import { type InstrumentSpec, normalizedSymbol } from '@cryptoscalp/market';

import type { RestClient } from '../../rest/rest.types';
import type { CarriedSymbol, MetadataSocket, ResolvedSymbols } from '../venue-adapter';
import { parseLossless } from './kraken.protocol';

/**
 * How a Kraken market gets its names (documented in README.md of this folder):
 *
 * - Kraken's REST API names assets with its legacy codes (`XBT` for bitcoin, `XDG` for dogecoin;
 *   `XXBT`/`ZUSD` as asset ids; pairs keyed `XXBTZUSD`, `wsname` `XBT/USD`). `wsname` is the
 *   WebSocket **v1** name. Neither AssetPairs nor Assets carries the common code (`BTC`).
 * - WebSocket **v2** names pairs with the common codes (`BTC/USD`); its `instrument` channel lists
 *   every pair as `{symbol, base, quote, status, price_precision, qty_precision, …}`. That is the
 *   metadata of the protocol the gateway speaks, so it decides: normalized `BASE-QUOTE` =
 *   `base-quote` of the instrument entry, native name = its `symbol`, precision = its
 *   `price_precision`/`qty_precision`, carried only when `status` is `online`.
 * - AssetPairs is read too: a pair whose `wsname` equals a v2 symbol (every pair whose assets
 *   Kraken did not rename) must agree on `pair_decimals`/`lot_decimals` and be `online`; when
 *   REST disagrees the pair is not carried (metadata that contradicts itself is not trusted).
 *   The renamed ones (`XBT/USD` ↔ `BTC/USD`) have no field linking them, so REST cannot check them
 *   and the instrument channel alone describes them. No hand-written table of names anywhere.
 */
export interface KrakenPair {
  symbol: string;
  base: string;
  quote: string;
  status: string;
  pricePrecision: number;
  qtyPrecision: number;
}

export interface AssetPair {
  key: string;
  wsname: string;
  altname?: string;
  pairDecimals: number;
  lotDecimals: number;
  status?: string;
}

const int = (v: unknown): number | undefined => {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 30 ? n : undefined;
};

/** The `pairs` of a v2 `instrument` snapshot (numbers as their digits), invalid entries dropped. */
export function instrumentPairs(data: unknown): KrakenPair[] {
  const pairs = (data as { pairs?: unknown } | null)?.pairs;
  if (!Array.isArray(pairs)) return [];
  const out: KrakenPair[] = [];
  for (const p of pairs as Record<string, unknown>[]) {
    if (!p || typeof p !== 'object') continue;
    const { symbol, base, quote, status } = p;
    const pricePrecision = int(p['price_precision']);
    const qtyPrecision = int(p['qty_precision']);
    if (typeof symbol !== 'string' || typeof base !== 'string' || typeof quote !== 'string') continue;
    if (pricePrecision === undefined || qtyPrecision === undefined) continue;
    out.push({ symbol, base, quote, status: typeof status === 'string' ? status : 'online', pricePrecision, qtyPrecision });
  }
  return out;
}

/** `GET /0/public/AssetPairs` result entries. */
export function assetPairs(body: unknown): AssetPair[] {
  const result = (body as { result?: unknown } | null)?.result;
  if (!result || typeof result !== 'object') return [];
  const out: AssetPair[] = [];
  for (const [key, v] of Object.entries(result as Record<string, Record<string, unknown>>)) {
    if (!v || typeof v !== 'object' || typeof v['wsname'] !== 'string') continue;
    const pairDecimals = int(v['pair_decimals']);
    const lotDecimals = int(v['lot_decimals']);
    if (pairDecimals === undefined || lotDecimals === undefined) continue;
    out.push({
      key,
      wsname: v['wsname'],
      altname: typeof v['altname'] === 'string' ? v['altname'] : undefined,
      pairDecimals,
      lotDecimals,
      status: typeof v['status'] === 'string' ? v['status'] : undefined,
    });
  }
  return out;
}

/** The resolution rule above, applied to both metadata sources. */
export function resolveKraken(pairs: readonly KrakenPair[], rest: readonly AssetPair[], wanted: readonly string[]): ResolvedSymbols {
  const restByWsname = new Map(rest.map((r) => [r.wsname, r]));
  const byNormalized = new Map<string, Omit<CarriedSymbol, 'channels'>>();
  for (const p of pairs) {
    if (p.status !== 'online') continue;
    const r = restByWsname.get(p.symbol);
    if (r && (r.pairDecimals !== p.pricePrecision || r.lotDecimals !== p.qtyPrecision || (r.status && r.status !== 'online'))) continue;
    let symbol: string;
    try {
      symbol = normalizedSymbol(p.base, p.quote);
    } catch {
      continue; // not a BASE-QUOTE token pair
    }
    const instrument: InstrumentSpec = {
      symbol,
      base: p.base.toUpperCase(),
      quote: p.quote.toUpperCase(),
      priceDecimals: p.pricePrecision,
      sizeDecimals: p.qtyPrecision,
    };
    byNormalized.set(symbol, { symbol, native: p.symbol, instrument });
  }
  const symbols: Omit<CarriedSymbol, 'channels'>[] = [];
  const unknown: string[] = [];
  for (const w of wanted) {
    const found = byNormalized.get(w);
    if (found) symbols.push(found);
    else unknown.push(w);
  }
  return { symbols, unknown };
}

export async function fetchAssetPairs(rest: RestClient, restUrl: string): Promise<AssetPair[]> {
  const body = await rest.getJson({ url: `${restUrl.replace(/\/+$/, '')}/0/public/AssetPairs`, weight: 1, purpose: 'instruments' });
  const errors = (body as { error?: unknown } | null)?.error;
  if (Array.isArray(errors) && errors.length) throw new Error(`AssetPairs: ${errors.map(String).join(', ').slice(0, 200)}`);
  return assetPairs(body);
}

/** The subscribe frame of the v2 `instrument` channel (with its snapshot). */
export const INSTRUMENT_SUBSCRIBE = JSON.stringify({ method: 'subscribe', params: { channel: 'instrument', snapshot: true }, req_id: 7 });

/**
 * One frame of the instrument connection: the pairs of the v2 `instrument` snapshot, `undefined`
 * for anything else (acks, heartbeats, status); throws on a refused subscription.
 */
export function readInstrumentFrame(text: string): KrakenPair[] | undefined {
  let m: Record<string, unknown>;
  try {
    m = parseLossless(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (m?.['method'] === 'subscribe' && m['success'] === false) throw new Error(`instrument subscription refused: ${String(m['error'])}`);
  if (m?.['channel'] === 'instrument' && m['type'] === 'snapshot') return instrumentPairs(m['data']);
  return undefined;
}

/**
 * Reads the v2 `instrument` snapshot on a short-lived connection the core opens (through the
 * venue's attempt limiter and the endpoint's circuit breaker): subscribe, snapshot, close.
 */
export function fetchInstrumentSnapshot(meta: MetadataSocket, wsUrl: string, timeoutMs = 15_000): Promise<KrakenPair[]> {
  return meta.request(wsUrl, [INSTRUMENT_SUBSCRIBE], readInstrumentFrame, timeoutMs);
}
