import { formatFixed } from '@cryptoscalp/market';

import type { Instrument } from '../market/instrument';
import type { SyntheticMarket } from '../market/market';

/**
 * A Bybit v5 `tickers` payload (Bybit docs: WebSocket public ticker). Spot sends the whole ticker in
 * every push; linear sends it once and then deltas with only the fields that changed.
 */
export function bybitTicker(inst: Instrument, market: SyntheticMarket, category: 'spot' | 'linear'): Record<string, string> {
  const px = (v: number) => formatFixed(v, inst.priceDecimals);
  const sz = (v: number) => formatFixed(v, inst.sizeDecimals);
  const pct = ((market.lastPx - market.openPx) / market.openPx).toFixed(4);
  const common = {
    symbol: `${inst.base}${inst.quote}`,
    lastPrice: px(market.lastPx),
    highPrice24h: px(market.high),
    lowPrice24h: px(market.low),
    prevPrice24h: px(market.openPx),
    volume24h: sz(market.volume),
    turnover24h: '0',
    price24hPcnt: pct,
  };
  if (category === 'spot') return { ...common, usdIndexPrice: '' };
  const b = market.book.best('bid');
  const a = market.book.best('ask');
  return {
    ...common,
    tickDirection: 'ZeroPlusTick',
    markPrice: px(market.lastPx),
    indexPrice: px(market.lastPx),
    bid1Price: px(b?.px ?? 0),
    bid1Size: sz(b?.sz ?? 0),
    ask1Price: px(a?.px ?? 0),
    ask1Size: sz(a?.sz ?? 0),
  };
}

/** The fields of `next` that differ from `last`, always with `symbol`. */
export function tickerDelta(last: Record<string, string>, next: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { symbol: next['symbol'] as string };
  for (const [k, v] of Object.entries(next)) if (last[k] !== v) out[k] = v;
  return out;
}
