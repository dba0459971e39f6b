import { formatFixed } from '@cryptoscalp/market';

import type { Instrument } from '../market/instrument';
import type { SimTrade } from '../market/market';

/** One trade as the venue remembers it for `GET /products/<id>/trades`. */
interface TapeEntry {
  trade: SimTrade;
  time: string;
}

/** The endpoint's page size: "Number of results per request. Maximum 1000 (default 1000)". */
export const MAX_TRADES_LIMIT = 1000;

/**
 * The trades one product actually made (the simulator's ground truth), newest `capacity` kept in a
 * ring indexed by trade id (ids are contiguous per product). Every trade is recorded, whether or
 * not any client was subscribed when it happened — as the venue's REST history is.
 */
export class TradeTape {
  private readonly ring: (TapeEntry | undefined)[];
  private first: number | undefined;
  private last: number | undefined;

  constructor(private readonly capacity: number) {
    this.ring = new Array<TapeEntry | undefined>(Math.max(1, capacity));
  }

  record(trade: SimTrade, time: string): void {
    this.ring[trade.id % this.ring.length] = { trade, time };
    this.first ??= trade.id;
    this.last = trade.id;
  }

  /** Oldest and newest trade id still served (undefined before the first trade). */
  get range(): { oldest: number; newest: number } | undefined {
    if (this.first === undefined || this.last === undefined) return undefined;
    return { oldest: Math.max(this.first, this.last - this.ring.length + 1), newest: this.last };
  }

  /** Entries from `hi` down to `lo` (inclusive), newest first. */
  slice(hi: number, lo: number): TapeEntry[] {
    const out: TapeEntry[] = [];
    for (let id = hi; id >= lo; id--) {
      const e = this.ring[id % this.ring.length];
      if (e?.trade.id === id) out.push(e);
    }
    return out;
  }
}

export interface TradesQuery {
  limit: number;
  before?: number;
  after?: number;
}

/**
 * Reads `limit`, `before`, `after` of `GET /products/<id>/trades`; a string naming the bad
 * parameter when one is not a positive integer. `limit` above 1000 is served as 1000.
 */
export function tradesQuery(params: URLSearchParams): TradesQuery | string {
  const int = (name: string): number | undefined | string => {
    const raw = params.get(name);
    if (raw === null || raw === '') return undefined;
    return /^\d{1,15}$/.test(raw) && Number(raw) > 0 ? Number(raw) : `Invalid ${name}`;
  };
  const limit = int('limit');
  const before = int('before');
  const after = int('after');
  for (const v of [limit, before, after]) if (typeof v === 'string') return v;
  return {
    limit: Math.min(MAX_TRADES_LIMIT, (limit as number | undefined) ?? MAX_TRADES_LIMIT),
    before: before as number | undefined,
    after: after as number | undefined,
  };
}

export interface TradesPage {
  body: { time: string; trade_id: number; price: string; size: string; side: 'buy' | 'sell' }[];
  headers: Record<string, string>;
}

/**
 * One page of `GET /products/<id>/trades` (Coinbase Exchange "Get product trades" + "Pagination"):
 * newest first; `after=X` pages to older trades (`trade_id < X`), `before=Y` to newer ones
 * (`trade_id > Y`: the `limit` trades just above Y, still newest first); without cursors the latest
 * `limit`. `CB-BEFORE` is the first (newest) id of the page, `CB-AFTER` the last (oldest): the
 * cursors of the next requests. `side` is the maker's side, as in `match`. Prices and sizes with 8
 * decimals, as in the documented example (`"6225.32000000"`, `"0.06469797"`).
 */
export function tradesPage(tape: TradeTape, inst: Instrument, q: TradesQuery): TradesPage {
  const range = tape.range;
  if (!range) return { body: [], headers: {} };
  let hi = Math.min(range.newest, q.after !== undefined ? q.after - 1 : Infinity);
  const lo = Math.max(range.oldest, q.before !== undefined ? q.before + 1 : -Infinity);
  // A page before (newer than) a cursor is the one adjacent to it.
  if (q.before !== undefined && q.after === undefined) hi = Math.min(hi, lo + q.limit - 1);
  const entries = hi >= lo ? tape.slice(hi, Math.max(lo, hi - q.limit + 1)) : [];
  const body = entries.map(({ trade: t, time }) => ({
    time,
    trade_id: t.id,
    price: eightDecimals(t.px, inst.priceDecimals),
    size: eightDecimals(t.sz, inst.sizeDecimals),
    // `side` is the maker's: a taker buy matched a resting sell.
    side: t.side === 'buy' ? ('sell' as const) : ('buy' as const),
  }));
  const first = body[0];
  const last = body[body.length - 1];
  const headers: Record<string, string> = first && last ? { 'cb-before': String(first.trade_id), 'cb-after': String(last.trade_id) } : {};
  return { body, headers };
}

function eightDecimals(units: number, decimals: number): string {
  return decimals >= 8 ? formatFixed(units, decimals) : formatFixed(units * 10 ** (8 - decimals), 8);
}
