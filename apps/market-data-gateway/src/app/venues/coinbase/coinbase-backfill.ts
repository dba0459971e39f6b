import type { CarriedSymbol, SessionContext } from '../venue-adapter';

export interface CoinbaseBackfillOptions {
  /** A hole still open this long after it appeared is fetched over REST (a reordered frame fills it first; default 1500 ms). */
  delayMs: number;
  /** Most trades one hole backfills: the newest of it; the older rest is reported unfilled (default 5000). */
  maxTradesPerHole: number;
  /** Requests of one hole that may fail (429, malformed answer, network) before the rest is given up (default 3). */
  attempts: number;
}

export const BACKFILL_DEFAULTS: CoinbaseBackfillOptions = { delayMs: 1500, maxTradesPerHole: 5000, attempts: 3 };

/** `GET /products/<id>/trades` answers at most 1000 trades a page. */
export const TRADES_PAGE_LIMIT = 1000;

/** Counted per adapter (all connections and products). */
export interface BackfillStats {
  /** Holes in the trade ids (over all connections) that were still open after `delayMs`. */
  holes: number;
  /** REST pages requested. */
  requests: number;
  /** Trades published from REST. */
  trades: number;
  /** Trades REST returned that the WebSocket had delivered meanwhile (not published again). */
  alreadySeen: number;
  /** Trade ids given up: beyond `maxTradesPerHole`, not in the venue's answer, or their requests failed. */
  unfilled: number;
  /** Requests that failed or answered something unreadable (429 included). */
  failed: number;
}

export const emptyBackfillStats = (): BackfillStats => ({ holes: 0, requests: 0, trades: 0, alreadySeen: 0, unfilled: 0, failed: 0 });

/** One entry of `GET /products/<id>/trades`: `side` is the maker's, as in `match`. */
export interface RestTrade {
  trade_id: number;
  price: string;
  size: string;
  side: 'buy' | 'sell';
  ts: number;
}

/** Validates a page (newest first); a string says why it is unusable. */
export function parseTradesPage(body: unknown): RestTrade[] | string {
  if (!Array.isArray(body)) return 'trades answer is not an array';
  const out: RestTrade[] = [];
  for (const t of body as Record<string, unknown>[]) {
    if (!t || typeof t !== 'object') return 'trade is not an object';
    const { trade_id, price, size, side, time } = t;
    if (typeof trade_id !== 'number' || !Number.isSafeInteger(trade_id) || trade_id <= 0) return 'trade without an integer trade_id';
    if (typeof price !== 'string' || typeof size !== 'string' || !/^\d+(\.\d+)?$/.test(price) || !/^\d+(\.\d+)?$/.test(size))
      return 'trade price/size are not decimal strings';
    if (side !== 'buy' && side !== 'sell') return 'trade side is not buy/sell';
    const ts = typeof time === 'string' ? Date.parse(time) : NaN;
    if (!Number.isFinite(ts)) return 'trade time is not a date';
    out.push({ trade_id, price, size, side, ts });
  }
  return out;
}

/** An open hole: ids `from..to` not seen yet, noticed at `openedAt`. */
interface Hole {
  from: number;
  to: number;
  openedAt: number;
}

interface ProductState {
  /** Highest id seen on any connection (a trade, or a heartbeat's `last_trade_id`). */
  high: number;
  /** Disjoint, ascending. */
  holes: Hole[];
  /** The connection and symbol that last reported: backfilled trades and status go through them. */
  ctx: SessionContext;
  sym: CarriedSymbol;
  timer: NodeJS.Timeout | undefined;
  running: boolean;
}

/**
 * Fills holes in a product's trade ids from `GET /products/<id>/trades`. Coinbase trade ids are
 * contiguous per product, so a trade id above the highest seen + 1, or a heartbeat's `last_trade_id`
 * above it, shows trades that never reached us — on any connection: this tracker is shared by all
 * connections of the venue, so the trades made while the gateway was reconnecting (the new
 * connection starts at `last_match`) are a hole too. A hole still open after `delayMs` is fetched
 * through the venue's REST limiter, newest page first (`after` cursor = trade id), at most
 * `maxTradesPerHole` trades; what arrives is published in trade-id order, each id once (ids the
 * WebSocket delivered meanwhile are skipped). Ids that could not be filled are counted, logged and
 * published as `md.status gap`. The live feed never waits for any of it.
 */
export class TradeBackfill {
  readonly stats = emptyBackfillStats();
  private readonly products = new Map<string, ProductState>();

  constructor(
    readonly options: CoinbaseBackfillOptions = BACKFILL_DEFAULTS,
    private readonly now: () => number = Date.now,
  ) {}

  /** A trade id arrived (before it is published). Cheap: one comparison unless it is out of order. */
  trade(ctx: SessionContext, sym: CarriedSymbol, id: number): void {
    const p = this.stateOf(ctx, sym, id);
    if (!p) return;
    if (id === p.high + 1) p.high = id;
    else if (id > p.high) this.open(p, p.high + 1, id - 1, id);
    else if (p.holes.length) this.fill(p, id);
  }

  /** A heartbeat: `last_trade_id` above the highest id seen opens a hole up to it (0 means nothing). */
  heartbeat(ctx: SessionContext, sym: CarriedSymbol, lastTradeId: number): void {
    if (lastTradeId <= 0) return;
    const p = this.stateOf(ctx, sym, lastTradeId);
    if (p && lastTradeId > p.high) this.open(p, p.high + 1, lastTradeId, lastTradeId);
  }

  /** Ids still missing for a product (tests, diagnostics). */
  missing(product: string): { from: number; to: number }[] {
    return (this.products.get(product)?.holes ?? []).map(({ from, to }) => ({ from, to }));
  }

  /** State of a product; undefined the first time (the first id seen starts the window). */
  private stateOf(ctx: SessionContext, sym: CarriedSymbol, id: number): ProductState | undefined {
    const p = this.products.get(sym.native);
    if (!p) {
      this.products.set(sym.native, { high: id, holes: [], ctx, sym, timer: undefined, running: false });
      return undefined;
    }
    p.ctx = ctx;
    p.sym = sym;
    return p;
  }

  private open(p: ProductState, from: number, to: number, high: number): void {
    p.high = high;
    if (from <= to) p.holes.push({ from, to, openedAt: this.now() });
    this.schedule(p);
  }

  /** A late id (reordered, or from the other connection of a rotation) closes its part of a hole. */
  private fill(p: ProductState, id: number): boolean {
    for (let i = 0; i < p.holes.length; i++) {
      const h = p.holes[i] as Hole;
      if (id < h.from || id > h.to) continue;
      if (h.from === h.to) p.holes.splice(i, 1);
      else if (id === h.from) h.from++;
      else if (id === h.to) h.to--;
      else {
        p.holes.splice(i + 1, 0, { from: id + 1, to: h.to, openedAt: h.openedAt });
        h.to = id - 1;
      }
      return true;
    }
    return false;
  }

  private schedule(p: ProductState): void {
    if (p.timer || p.running || p.holes.length === 0) return;
    const due = Math.min(...p.holes.map((h) => h.openedAt)) + this.options.delayMs;
    p.timer = setTimeout(
      () => {
        p.timer = undefined;
        void this.run(p);
      },
      Math.max(0, due - this.now()),
    );
    p.timer.unref?.();
  }

  /** Backfills every hole of the product that is due, one at a time, newest hole last. */
  private async run(p: ProductState): Promise<void> {
    p.running = true;
    try {
      for (;;) {
        const cutoff = this.now() - this.options.delayMs;
        const hole = p.holes.find((h) => h.openedAt <= cutoff);
        if (!hole) break;
        this.stats.holes++;
        await this.backfill(p, { ...hole });
      }
    } finally {
      p.running = false;
      this.schedule(p);
    }
  }

  private async backfill(p: ProductState, hole: Hole): Promise<void> {
    const { ctx, sym } = p;
    const cap = Math.max(0, this.options.maxTradesPerHole);
    const lowest = Math.max(hole.from, hole.to - cap + 1);
    const got = new Map<number, RestTrade>();
    let cursor = hole.to + 1;
    let failures = 0;
    let why = '';
    while (cursor > lowest && failures < this.options.attempts) {
      const limit = Math.min(TRADES_PAGE_LIMIT, cursor - lowest);
      const url = `${ctx.settings.restUrl}/products/${sym.native}/trades?after=${cursor}&limit=${limit}`;
      this.stats.requests++;
      let page: RestTrade[] | string;
      try {
        page = parseTradesPage(await ctx.rest.getJson({ url, weight: 1, purpose: 'backfill' }));
      } catch (err) {
        page = (err as Error).message.slice(0, 160);
      }
      if (typeof page === 'string') {
        this.stats.failed++;
        failures++;
        why = page;
        ctx.warn(`trade backfill of ${sym.native} ${lowest}..${hole.to}: request failed (${page})`);
        continue;
      }
      if (page.length === 0) break; // the venue has no older trades
      let oldest = cursor;
      for (const t of page) {
        if (t.trade_id >= lowest && t.trade_id < cursor) got.set(t.trade_id, t);
        oldest = Math.min(oldest, t.trade_id);
      }
      if (oldest >= cursor) break; // an answer that does not move the cursor: stop, never loop
      cursor = oldest;
    }
    // Publish in trade-id order, each id still missing exactly once.
    for (const id of [...got.keys()].sort((a, b) => a - b)) {
      if (!this.fill(p, id)) {
        this.stats.alreadySeen++;
        continue;
      }
      const t = got.get(id) as RestTrade;
      this.stats.trades++;
      // `side` is the maker's: the taker (our `side`) is the other one.
      ctx.trade(sym, {
        id: String(id),
        price: t.price,
        size: t.size,
        side: t.side === 'buy' ? 'sell' : 'buy',
        ts: t.ts,
        recvTs: this.now() * 1000,
      });
    }
    // Whatever of this hole is still open is given up (it is never fetched again).
    let unfilled = 0;
    for (let i = p.holes.length - 1; i >= 0; i--) {
      const h = p.holes[i] as Hole;
      const from = Math.max(h.from, hole.from);
      const to = Math.min(h.to, hole.to);
      if (from > to) continue;
      unfilled += to - from + 1;
      const rest: Hole[] = [];
      if (h.from < from) rest.push({ from: h.from, to: from - 1, openedAt: h.openedAt });
      if (h.to > to) rest.push({ from: to + 1, to: h.to, openedAt: h.openedAt });
      p.holes.splice(i, 1, ...rest);
    }
    if (unfilled === 0) return;
    this.stats.unfilled += unfilled;
    const reason =
      `${unfilled} trades of ${hole.from}..${hole.to} could not be backfilled` +
      (hole.to - hole.from + 1 > cap ? ` (at most ${cap} per hole)` : '') +
      (why ? ` (${why})` : '');
    ctx.warn(`${sym.native}: ${reason}`);
    ctx.status(sym, 'gap', reason);
  }
}
