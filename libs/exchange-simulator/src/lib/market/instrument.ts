import type { InstrumentSpec } from '@cryptoscalp/market';

import type { VenueName } from '../venues/venue';

/** One tradable pair in the simulator, named `BASE-QUOTE` like the platform's normalized symbols. */
export interface Instrument extends InstrumentSpec {
  /** Starting mid price in ticks. */
  startPriceTicks: number;
}

const KNOWN: Record<string, { price: number; priceDecimals: number; sizeDecimals: number }> = {
  BTC: { price: 60_000, priceDecimals: 1, sizeDecimals: 5 },
  ETH: { price: 3_000, priceDecimals: 2, sizeDecimals: 4 },
  SOL: { price: 150, priceDecimals: 3, sizeDecimals: 3 },
  XRP: { price: 0.6, priceDecimals: 5, sizeDecimals: 1 },
  DOGE: { price: 0.15, priceDecimals: 6, sizeDecimals: 0 },
};

export function instrument(symbol: string): Instrument {
  const m = /^([A-Z0-9]{2,10})-([A-Z0-9]{2,10})$/.exec(symbol);
  if (!m) throw new Error(`symbol "${symbol}" must look like BTC-USDT`);
  const [, base, quote] = m as unknown as [string, string, string];
  const known = KNOWN[base] ?? { price: 10, priceDecimals: 4, sizeDecimals: 2 };
  return {
    symbol,
    base,
    quote,
    priceDecimals: known.priceDecimals,
    sizeDecimals: known.sizeDecimals,
    startPriceTicks: Math.round(known.price * 10 ** known.priceDecimals),
  };
}

/** The venue's own name for an instrument (what its clients subscribe with). */
export function nativeSymbol(venue: VenueName, inst: Instrument): string {
  switch (venue) {
    case 'binance':
    case 'bybit':
      return `${inst.base}${inst.quote}`;
    case 'coinbase':
    case 'okx':
      return `${inst.base}-${inst.quote}`;
    case 'kraken':
      return `${inst.base}/${inst.quote}`;
  }
}
