import type { ServerResponse } from 'node:http';

import type { Instrument } from '../market/instrument';
import { binanceDecimal } from './binance-depth';
import { sendJson } from './venue';

export const WEIGHT_LIMIT_PER_MINUTE = 6000;
export const MAX_DEPTH_LIMIT = 5000;

/** REST depth request weight by limit, as Binance documents it (1–100: 5, 101–500: 25, 501–1000: 50, 1001–5000: 250). */
export function depthWeight(limit: number): number {
  if (limit <= 100) return 5;
  if (limit <= 500) return 25;
  if (limit <= 1000) return 50;
  return 250;
}

/** `GET /api/v3/depth` limit: default 100, at most 5000 (larger values are served as 5000). */
export function depthLimit(raw: string | null): number {
  const n = Math.floor(Number(raw ?? 100));
  if (!Number.isFinite(n) || n <= 0) return 100;
  return Math.min(MAX_DEPTH_LIMIT, n);
}

/** Binance's error bodies for symbol parameters. */
export function symbolError(res: ServerResponse, symbol: string | null): void {
  if (!symbol) {
    sendJson(res, 400, { code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." });
    return;
  }
  sendJson(res, 400, { code: -1121, msg: 'Invalid symbol.' });
}

/** One `symbols[]` entry of `GET /api/v3/exchangeInfo`, in the documented shape. */
export function exchangeInfoSymbol(native: string, i: Instrument): Record<string, unknown> {
  const d8 = (units: number, decimals: number) => binanceDecimal(units, decimals);
  return {
    symbol: native,
    status: 'TRADING',
    baseAsset: i.base,
    baseAssetPrecision: 8,
    quoteAsset: i.quote,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'],
    icebergAllowed: true,
    ocoAllowed: true,
    otoAllowed: true,
    quoteOrderQtyMarketAllowed: true,
    allowTrailingStop: true,
    cancelReplaceAllowed: true,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      {
        filterType: 'PRICE_FILTER',
        minPrice: d8(1, i.priceDecimals),
        maxPrice: d8(10 ** (i.priceDecimals + 6), i.priceDecimals),
        tickSize: d8(1, i.priceDecimals),
      },
      {
        filterType: 'LOT_SIZE',
        minQty: d8(1, i.sizeDecimals),
        maxQty: d8(9000 * 10 ** i.sizeDecimals, i.sizeDecimals),
        stepSize: d8(1, i.sizeDecimals),
      },
    ],
    permissions: [],
    permissionSets: [['SPOT']],
    defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
    allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
  };
}

export function exchangeInfo(symbols: Record<string, unknown>[]): Record<string, unknown> {
  return {
    timezone: 'UTC',
    serverTime: Date.now(),
    rateLimits: [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: WEIGHT_LIMIT_PER_MINUTE },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
      { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 200000 },
      { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
    ],
    exchangeFilters: [],
    symbols,
  };
}
