import { decimalsOf, formatFixed, formatTrimmed, parseFixed } from './decimal';

/**
 * What the platform needs to know about a tradable pair to keep its book exactly: the
 * normalized `BASE-QUOTE` symbol and the precision of prices and sizes. The gateway builds it
 * from each venue's instrument metadata; the simulator from its synthetic markets.
 */
export interface InstrumentSpec {
  /** Normalized symbol, `BASE-QUOTE` (`BTC-USDT`). */
  symbol: string;
  base: string;
  quote: string;
  /** Price decimals (tick = 10^-priceDecimals). */
  priceDecimals: number;
  /** Size decimals (lot = 10^-sizeDecimals). */
  sizeDecimals: number;
}

/** Normalized symbols: two upper-case tokens joined by a dash, never containing a dot. */
export const NORMALIZED_SYMBOL = /^([A-Z0-9]{1,20})-([A-Z0-9]{1,20})$/;

export function normalizedSymbol(base: string, quote: string): string {
  const symbol = `${base.toUpperCase()}-${quote.toUpperCase()}`;
  if (!NORMALIZED_SYMBOL.test(symbol)) throw new RangeError(`"${symbol}" is not a BASE-QUOTE symbol`);
  return symbol;
}

/** Builds a spec from the tick and lot sizes a venue publishes (`"0.01"`, `"0.00001"`). */
export function instrumentFromSteps(base: string, quote: string, tickSize: string, lotSize: string): InstrumentSpec {
  return {
    symbol: normalizedSymbol(base, quote),
    base: base.toUpperCase(),
    quote: quote.toUpperCase(),
    priceDecimals: decimalsOf(tickSize),
    sizeDecimals: decimalsOf(lotSize),
  };
}

/** How a venue writes numbers: with the instrument's fixed decimals, or trailing zeros trimmed. */
export type NumberStyle = 'fixed' | 'trimmed';

/** Renders prices and sizes of one instrument, and parses them back into ticks and lots. */
export class InstrumentFormat {
  constructor(
    readonly spec: InstrumentSpec,
    readonly style: NumberStyle = 'fixed',
  ) {}

  price(ticks: number): string {
    return this.style === 'fixed' ? formatFixed(ticks, this.spec.priceDecimals) : formatTrimmed(ticks, this.spec.priceDecimals);
  }

  size(lots: number): string {
    return this.style === 'fixed' ? formatFixed(lots, this.spec.sizeDecimals) : formatTrimmed(lots, this.spec.sizeDecimals);
  }

  ticks(price: string): number {
    return parseFixed(price, this.spec.priceDecimals);
  }

  lots(size: string): number {
    return parseFixed(size, this.spec.sizeDecimals);
  }
}
