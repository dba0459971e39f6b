import type { Venue } from '@cryptoscalp/messaging';

import { BinanceAdapter } from './binance/binance.adapter';
import { BybitAdapter } from './bybit/bybit.adapter';
import { CoinbaseAdapter } from './coinbase/coinbase.adapter';
import { KrakenAdapter } from './kraken/kraken.adapter';
import { OkxAdapter } from './okx/okx.adapter';
import type { VenueAdapter } from './venue-adapter';

/**
 * Every venue the gateway speaks: one line per venue. Adding a venue touches its folder and
 * this table, nothing else (see README.md in this folder).
 */
export const VENUE_ADAPTERS: Partial<Record<Venue, () => VenueAdapter>> = {
  binance: () => new BinanceAdapter(),
  okx: () => new OkxAdapter(),
  bybit: () => new BybitAdapter(),
  coinbase: () => new CoinbaseAdapter(),
  kraken: () => new KrakenAdapter(),
};

export function adapterFor(venue: Venue): VenueAdapter | undefined {
  return VENUE_ADAPTERS[venue]?.();
}
