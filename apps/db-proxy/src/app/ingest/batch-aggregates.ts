import type { Trade } from '@cryptoscalp/messaging';

import Big from 'big.js';

/** One 1-minute candle of a batch, before it is merged into `candles_1m`. */
export interface CandleDelta {
  venue: string;
  symbol: string;
  /** Start of the minute, epoch ms. */
  bucket: number;
  open: string;
  high: string;
  low: string;
  close: string;
  /** Exact decimal sum of the sizes, without an exponent. */
  volume: string;
  count: number;
  openTs: number;
  openId: string;
  closeTs: number;
  closeId: string;
}

/** One instrument's share of a batch, before it is merged into `instruments`. */
export interface InstrumentDelta {
  venue: string;
  symbol: string;
  count: number;
  firstTs: number;
  lastTs: number;
}

export interface BatchAggregates {
  candles: CandleDelta[];
  instruments: InstrumentDelta[];
}

/**
 * Trade order within an instrument: exchange time, then the id as a number when it is one
 * (shorter first), then bytewise — the order of the SQL merge (`ts, length(trade_id), trade_id
 * COLLATE "C"`), so both write paths choose the same open and close.
 */
export function tradeOrder(aTs: number, aId: string, bTs: number, bId: string): number {
  if (aTs !== bTs) return aTs < bTs ? -1 : 1;
  if (aId.length !== bId.length) return aId.length < bId.length ? -1 : 1;
  return aId < bId ? -1 : aId > bId ? 1 : 0;
}

interface Acc {
  c: CandleDelta;
  high: Big;
  low: Big;
  volume: Big;
}

/**
 * The candles and instrument counts a batch adds, computed exactly (decimal arithmetic, no
 * floats) from trades that are all new: the fast write path COPYs the batch straight into
 * `trades` and merges these, instead of asking Postgres to aggregate the rows it just inserted.
 * `include(i)` says whether `trades[i]` is stored (trades past the retention are not).
 */
export function aggregateBatch(trades: readonly Trade[], include: (i: number) => boolean = () => true): BatchAggregates {
  const candles = new Map<string, Acc>();
  const instruments = new Map<string, InstrumentDelta>();
  for (let i = 0; i < trades.length; i++) {
    if (!include(i)) continue;
    const t = trades[i] as Trade;
    const bucket = t.ts - (((t.ts % 60_000) + 60_000) % 60_000);
    const key = `${t.venue}\u0000${t.symbol}\u0000${bucket}`;
    const acc = candles.get(key);
    if (acc === undefined) {
      const px = new Big(t.price);
      candles.set(key, {
        c: {
          venue: t.venue,
          symbol: t.symbol,
          bucket,
          open: t.price,
          high: t.price,
          low: t.price,
          close: t.price,
          volume: '',
          count: 1,
          openTs: t.ts,
          openId: t.id,
          closeTs: t.ts,
          closeId: t.id,
        },
        high: px,
        low: px,
        volume: new Big(t.size),
      });
    } else {
      const c = acc.c;
      c.count++;
      acc.volume = acc.volume.plus(t.size);
      if (t.price !== c.high && t.price !== c.low) {
        const px = new Big(t.price);
        if (px.gt(acc.high)) {
          acc.high = px;
          c.high = t.price;
        } else if (px.lt(acc.low)) {
          acc.low = px;
          c.low = t.price;
        }
      }
      if (tradeOrder(t.ts, t.id, c.openTs, c.openId) < 0) {
        c.open = t.price;
        c.openTs = t.ts;
        c.openId = t.id;
      }
      if (tradeOrder(t.ts, t.id, c.closeTs, c.closeId) > 0) {
        c.close = t.price;
        c.closeTs = t.ts;
        c.closeId = t.id;
      }
    }
    const ikey = `${t.venue}\u0000${t.symbol}`;
    const inst = instruments.get(ikey);
    if (inst === undefined) instruments.set(ikey, { venue: t.venue, symbol: t.symbol, count: 1, firstTs: t.ts, lastTs: t.ts });
    else {
      inst.count++;
      if (t.ts < inst.firstTs) inst.firstTs = t.ts;
      if (t.ts > inst.lastTs) inst.lastTs = t.ts;
    }
  }
  const out: CandleDelta[] = [];
  for (const acc of candles.values()) {
    acc.c.volume = acc.volume.toFixed();
    out.push(acc.c);
  }
  return { candles: out, instruments: [...instruments.values()] };
}
