import { formatFixed, formatTrimmed, type Level } from '@cryptoscalp/market';

import type { Instrument } from '../market/instrument';
import type { SyntheticMarket } from '../market/market';
import { syntheticUuid } from './coinbase-options';

/** Orders resting at one level (the level-3 view): 1–3 orders splitting the level's size. */
export function ordersAt(product: string, side: 'bid' | 'ask', level: Level): { id: string; sz: number }[] {
  const n = Math.max(1, Math.min(1 + (level.px % 3), level.sz));
  const each = Math.floor(level.sz / n);
  return Array.from({ length: n }, (_, i) => ({
    id: syntheticUuid(`${product}|${side}|${level.px}|${i}`),
    sz: i === n - 1 ? level.sz - each * (n - 1) : each,
  }));
}

/**
 * `GET /products/<id>/book?level=1|2|3`: level 1 (default) the best bid and ask, level 2 the full
 * aggregated book `[price, size, num-orders]`, level 3 every order `[price, size, order_id]`;
 * with `sequence`, `auction_mode`, `auction` and `time`.
 */
export function productBook(product: string, inst: Instrument, market: SyntheticMarket, level: 1 | 2 | 3): Record<string, unknown> {
  const px = (v: number) => formatFixed(v, inst.priceDecimals);
  const sz = (v: number) => formatTrimmed(v, inst.sizeDecimals);
  const side = (s: 'bid' | 'ask') => {
    const levels = level === 1 ? market.book.top(s, 1) : market.book.levels(s);
    if (level === 3) return levels.flatMap((l) => ordersAt(product, s, l).map((o) => [px(l.px), sz(o.sz), o.id]));
    return levels.map((l) => [px(l.px), sz(l.sz), ordersAt(product, s, l).length]);
  };
  return {
    bids: side('bid'),
    asks: side('ask'),
    sequence: market.seq,
    auction_mode: false,
    auction: null,
    time: new Date().toISOString(),
  };
}
