import { formatTrimmed } from '@cryptoscalp/market';

import type { Instrument } from '../market/instrument';

/**
 * Kraken's own asset and pair names, used by its REST API (WebSocket v2 uses the ISO names,
 * `BTC/USD`): `XBT` for BTC and `XDG` for DOGE; the assets listed before 2019 carry an X (crypto)
 * or Z (fiat) prefix (`XXBT`, `XETH`, `ZUSD`), and the pairs between two of them are keyed by the
 * prefixed names (`XXBTZUSD`), every other pair by its altname (`XBTUSDT`, `SOLUSD`, `XDGUSD`).
 * Source: docs.kraken.com REST AssetPairs, and support.kraken.com "API symbols and tickers".
 */
const KRAKEN_CODE: Record<string, string> = { BTC: 'XBT', DOGE: 'XDG' };
const PREFIXED: Record<string, string> = {
  XBT: 'XXBT',
  ETH: 'XETH',
  XRP: 'XXRP',
  LTC: 'XLTC',
  XLM: 'XXLM',
  ETC: 'XETC',
  XMR: 'XXMR',
  ZEC: 'XZEC',
  XDG: 'XXDG',
  USD: 'ZUSD',
  EUR: 'ZEUR',
  GBP: 'ZGBP',
  JPY: 'ZJPY',
  CAD: 'ZCAD',
};
/** Pairs keyed by their prefixed names: the original crypto assets against fiat or XBT. */
const LEGACY_BASES = new Set(['XBT', 'ETH', 'XRP', 'LTC', 'XLM', 'ETC', 'XMR', 'ZEC']);
const LEGACY_QUOTES = new Set(['USD', 'EUR', 'GBP', 'JPY', 'CAD', 'XBT']);

export interface KrakenPairNames {
  /** Key of the pair in REST results (`XXBTZUSD`, `XBTUSDT`). */
  key: string;
  altname: string;
  wsname: string;
  /** Asset ids (`XXBT`, `ZUSD`, `USDT`). */
  base: string;
  quote: string;
}

export function krakenCode(iso: string): string {
  return KRAKEN_CODE[iso] ?? iso;
}

export function krakenPairNames(inst: Instrument): KrakenPairNames {
  const b = krakenCode(inst.base);
  const q = krakenCode(inst.quote);
  const base = PREFIXED[b] ?? b;
  const quote = PREFIXED[q] ?? q;
  const altname = `${b}${q}`;
  const key = LEGACY_BASES.has(b) && LEGACY_QUOTES.has(q) ? `${base}${quote}` : altname;
  return { key, altname, wsname: `${b}/${q}`, base, quote };
}

/** Finds the instrument a REST `pair=` names: pair key, altname, wsname, or the ISO forms. */
export function findKrakenPair(instruments: readonly Instrument[], pair: string): Instrument | undefined {
  const p = pair.toUpperCase();
  return instruments.find((i) => {
    const n = krakenPairNames(i);
    return [n.key, n.altname, n.wsname, `${i.base}${i.quote}`, `${i.base}/${i.quote}`].includes(p);
  });
}

/** One `/0/public/AssetPairs` entry (the fields the venue returns for a spot pair). */
export function assetPairEntry(inst: Instrument): Record<string, unknown> {
  const n = krakenPairNames(inst);
  const lotsForMin = Math.min(10 ** inst.sizeDecimals, 100);
  return {
    altname: n.altname,
    wsname: n.wsname,
    aclass_base: 'currency',
    base: n.base,
    aclass_quote: 'currency',
    quote: n.quote,
    lot: 'unit',
    cost_decimals: 5,
    pair_decimals: inst.priceDecimals,
    lot_decimals: inst.sizeDecimals,
    lot_multiplier: 1,
    leverage_buy: [],
    leverage_sell: [],
    fees: [[0, 0.4]],
    fees_maker: [[0, 0.25]],
    fee_volume_currency: 'ZUSD',
    margin_call: 80,
    margin_stop: 40,
    ordermin: formatTrimmed(lotsForMin, inst.sizeDecimals),
    costmin: '0.5',
    tick_size: formatTrimmed(1, inst.priceDecimals),
    status: 'online',
  };
}

/** One pair of the WebSocket v2 `instrument` channel snapshot. */
export function instrumentPair(inst: Instrument, symbol: string): Record<string, unknown> {
  const step = (d: number) => Number(formatTrimmed(1, d));
  return {
    symbol,
    base: inst.base,
    quote: inst.quote,
    status: 'online',
    qty_precision: inst.sizeDecimals,
    qty_increment: step(inst.sizeDecimals),
    price_precision: inst.priceDecimals,
    cost_precision: 5,
    marginable: false,
    has_index: true,
    cost_min: 0.5,
    tick_size: step(inst.priceDecimals),
    price_increment: step(inst.priceDecimals),
    qty_min: Number(formatTrimmed(Math.min(10 ** inst.sizeDecimals, 100), inst.sizeDecimals)),
  };
}
