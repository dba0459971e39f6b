import { formatFixed, type Level, type LevelChange } from '@cryptoscalp/market';

import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Instrument } from '../market/instrument';
import type { MarketEvent, SimTrade, SyntheticMarket } from '../market/market';
import { BaseVenue } from './base-venue';
import { BYBIT_DEFAULTS, type BybitOptions, orderbookCadenceMs, SPOT_MAX_ARGS } from './bybit-options';
import { bybitTicker, tickerDelta } from './bybit-tickers';
import { DepthViews, PushScheduler } from './depth-views';
import type { SimConnection } from './sim-connection';
import { sendJson, type VenueDeps } from './venue';

const DEPTHS = [1, 50, 200, 1000];
type Category = 'spot' | 'linear';

/**
 * Bybit v5 public, spot (`/v5/public/spot`) and linear (`/v5/public/linear`): `op: subscribe` with
 * `req_id` (spot: at most 10 topics a request, ack `ret_msg: "subscribe"`); `orderbook.1` as
 * snapshots only (repeated with the same `u` after 3 s without change), `orderbook.{50,200,1000}`
 * snapshot + deltas with `u` and cross-sequence `seq`, a new snapshot replacing the book at any time
 * (u=1 after a restart); `publicTrade` batching several trades with `seq`; `tickers` (spot snapshots,
 * linear snapshot + deltas of the changed fields); `op: ping`; REST `/v5/market/orderbook`,
 * `/v5/market/instruments-info`. Realistic profile: pushes on the documented cadence per depth.
 */
export class BybitVenue extends BaseVenue {
  readonly name = 'bybit' as const;
  private readonly views = new DepthViews();
  private readonly pushes = new PushScheduler();
  private readonly bybit: BybitOptions;
  /** Per orderbook key: the last `u` sent, when the last frame went out, when the last snapshot went out. */
  private readonly updateIds = new Map<string, number>();
  private readonly lastPush = new Map<string, number>();
  private readonly lastSnapshot = new Map<string, number>();
  private readonly pendingTrades = new Map<string, SimTrade[]>();
  /** Linear tickers: the last full ticker sent per key (deltas carry the fields that changed). */
  private readonly lastTicker = new Map<string, Record<string, string>>();
  private readonly repeats: NodeJS.Timeout;

  constructor(deps: VenueDeps) {
    super(deps);
    this.bybit = { ...BYBIT_DEFAULTS, ...deps.options.bybit };
    this.repeats = setInterval(() => this.repeatLevel1(Date.now()), 250);
    this.repeats.unref();
  }

  private get perEvent(): boolean {
    return this.deps.options.profile === 'per-event';
  }

  handleHttp(_req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const category = url.searchParams.get('category');
    const paramsError = (msg: string) => (
      sendJson(res, 200, { retCode: 10001, retMsg: msg, result: {}, retExtInfo: {}, time: Date.now() }),
      true
    );
    if (url.pathname === '/v5/market/instruments-info') {
      if (category !== 'spot' && category !== 'linear') return paramsError('params error: category invalid');
      const symbol = url.searchParams.get('symbol');
      const list = this.deps.instruments.filter((i) => !symbol || this.native(i) === symbol.toUpperCase());
      sendJson(res, 200, {
        retCode: 0,
        retMsg: 'OK',
        result: {
          category,
          list: list.map((i) => (category === 'spot' ? this.spotInstrument(i) : this.linearInstrument(i))),
          ...(category === 'linear' ? { nextPageCursor: '' } : {}),
        },
        retExtInfo: {},
        time: Date.now(),
      });
      return true;
    }
    if (url.pathname !== '/v5/market/orderbook') return false;
    if (category !== 'spot' && category !== 'linear') return paramsError('params error: category invalid');
    const inst = this.instrumentOf(url.searchParams.get('symbol') ?? '');
    if (!inst) return paramsError('params error: symbol invalid');
    // Docs: spot limit [1, 200] (default 1), linear [1, 500] (default 25).
    const max = category === 'spot' ? 200 : 500;
    const limit = Math.min(max, Number(url.searchParams.get('limit') ?? (category === 'spot' ? 1 : 25)) || 1);
    const fmt = this.fmt(inst);
    this.serveSnapshot(
      res,
      inst,
      () => ({ retCode: 10006, retMsg: 'Too many visits!', result: {}, time: Date.now() }),
      (m) => ({
        retCode: 0,
        retMsg: 'OK',
        result: {
          s: this.native(inst),
          b: m.book.top('bid', limit).map(fmt),
          a: m.book.top('ask', limit).map(fmt),
          ts: Date.now(),
          u: m.seq,
          seq: m.seq,
        },
        time: Date.now(),
      }),
    );
    return true;
  }

  /** An instruments-info entry of `category=spot` (Bybit v5 docs). */
  private spotInstrument(i: Instrument): Record<string, unknown> {
    return {
      symbol: this.native(i),
      baseCoin: i.base,
      quoteCoin: i.quote,
      innovation: '0',
      status: 'Trading',
      marginTrading: 'none',
      lotSizeFilter: {
        basePrecision: formatFixed(1, i.sizeDecimals),
        quotePrecision: formatFixed(1, i.priceDecimals),
        minOrderQty: formatFixed(1, i.sizeDecimals),
        maxOrderQty: '100000',
        minOrderAmt: '1',
        maxOrderAmt: '2000000',
      },
      priceFilter: { tickSize: formatFixed(1, i.priceDecimals) },
    };
  }

  /** An instruments-info entry of `category=linear`: a USDT/USDC perpetual on the same market (Bybit v5 docs). */
  private linearInstrument(i: Instrument): Record<string, unknown> {
    return {
      symbol: this.native(i),
      contractType: 'LinearPerpetual',
      status: 'Trading',
      baseCoin: i.base,
      quoteCoin: i.quote,
      settleCoin: i.quote,
      launchTime: '1585526400000',
      deliveryTime: '0',
      deliveryFeeRate: '',
      priceScale: String(i.priceDecimals),
      leverageFilter: { minLeverage: '1', maxLeverage: '100.00', leverageStep: '0.01' },
      priceFilter: { minPrice: formatFixed(1, i.priceDecimals), maxPrice: '1999999.80', tickSize: formatFixed(1, i.priceDecimals) },
      lotSizeFilter: {
        maxOrderQty: '1190.000',
        minOrderQty: formatFixed(1, i.sizeDecimals),
        qtyStep: formatFixed(1, i.sizeDecimals),
        postOnlyMaxOrderQty: '1190.000',
        maxMktOrderQty: '500.000',
        minNotionalValue: '5',
      },
      unifiedMarginTrade: true,
      fundingInterval: 480,
      copyTrading: 'both',
      upperFundingRate: '0.00375',
      lowerFundingRate: '-0.00375',
    };
  }

  private fmt(inst: Instrument): (l: Level) => [string, string] {
    return (l) => [formatFixed(l.px, inst.priceDecimals), formatFixed(l.sz, inst.sizeDecimals)];
  }

  protected override onOpen(conn: SimConnection, req: IncomingMessage): void {
    conn.state.set('category', (req.url ?? '').startsWith('/v5/public/linear') ? 'linear' : 'spot');
  }

  private parseTopic(topic: string): { kind: string; depth?: number; inst?: Instrument } {
    const parts = topic.split('.');
    if (parts[0] === 'orderbook' && parts.length === 3)
      return { kind: 'orderbook', depth: Number(parts[1]), inst: this.instrumentOf(parts[2] as string) };
    if ((parts[0] === 'publicTrade' || parts[0] === 'tickers') && parts.length === 2)
      return { kind: parts[0], inst: this.instrumentOf(parts[1] as string) };
    return { kind: 'unknown' };
  }

  protected onMessage(conn: SimConnection, text: string): void {
    const category = conn.state.get('category') as Category;
    const msg = this.parse(text);
    const reqId = msg?.['req_id'];
    const reply = (op: string, success: boolean, retMsg: string): void =>
      void conn.send(
        JSON.stringify({ success, ret_msg: retMsg, conn_id: String(conn.id), ...(reqId !== undefined ? { req_id: reqId } : {}), op }),
      );
    if (!msg) return reply('subscribe', false, 'Invalid request: malformed JSON');
    const op = String(msg['op']);
    if (op === 'ping') return reply('ping', true, 'pong');
    if (op !== 'subscribe' && op !== 'unsubscribe') return reply(op, false, `Invalid op: ${op}`);
    const topics = Array.isArray(msg['args']) ? (msg['args'] as unknown[]).map(String) : [];
    if (category === 'spot' && topics.length > SPOT_MAX_ARGS) return reply(op, false, `args size >${SPOT_MAX_ARGS}`);
    const bad = topics.filter((t) => {
      const p = this.parseTopic(t);
      return !p.inst || p.kind === 'unknown' || (p.kind === 'orderbook' && !DEPTHS.includes(p.depth ?? -1));
    });
    if (bad.length) return reply(op, false, `Invalid topic :[${bad.join(',')}]`);
    if (op === 'subscribe' && this.deps.faults.take('refuse_subscribe', { venue: this.name, connection: conn.id }))
      return reply(op, false, 'error:request too frequent');
    // Spot acks say "subscribe", linear acks an empty ret_msg (recorded venue behaviour).
    reply(op, true, category === 'spot' && op === 'subscribe' ? 'subscribe' : '');
    for (const topic of topics) {
      const p = this.parseTopic(topic);
      const inst = p.inst as Instrument;
      const key = `${category}|${topic}`;
      if (op === 'unsubscribe') {
        this.unsubscribe(conn, key);
        continue;
      }
      // A new subscriber's snapshot must line up with the next delta: push what is pending first.
      this.pushes.flushNow(key);
      this.subscribe(conn, key);
      const market = this.deps.markets.get(inst.symbol) as SyntheticMarket;
      if (p.kind === 'orderbook') {
        const depth = p.depth as number;
        this.views.start(key, market.book, depth);
        if (!this.updateIds.has(key)) this.updateIds.set(key, 1);
        this.unicast(
          conn,
          this.bookFrame(
            topic,
            'snapshot',
            inst,
            market.book.top('bid', depth),
            market.book.top('ask', depth),
            market,
            this.updateIds.get(key) as number,
          ),
          inst.symbol,
          'orderbook_snapshot',
        );
      } else if (p.kind === 'tickers') {
        const full = bybitTicker(inst, market, category);
        if (category === 'linear') this.lastTicker.set(`${key}|${conn.id}`, full);
        this.unicast(conn, this.tickerFrame(topic, 'snapshot', full, market), inst.symbol, 'tickers');
      }
    }
  }

  private bookFrame(
    topic: string,
    type: 'snapshot' | 'delta',
    inst: Instrument,
    bids: readonly Level[],
    asks: readonly Level[],
    market: SyntheticMarket,
    u: number,
  ): string {
    const fmt = this.fmt(inst);
    const now = Date.now();
    return JSON.stringify({
      topic,
      type,
      ts: now,
      data: { s: this.native(inst), b: bids.map(fmt), a: asks.map(fmt), u, seq: market.seq },
      cts: now,
    });
  }

  private tickerFrame(topic: string, type: 'snapshot' | 'delta', data: Record<string, string>, market: SyntheticMarket): string {
    return JSON.stringify({ topic, type, data, cs: market.seq, ts: Date.now() });
  }

  protected serverCloseNotice(conn: SimConnection): void {
    conn.close(1001, 'server restart');
  }

  private push(key: string, ms: number, flush: () => void): void {
    if (this.perEvent) flush();
    else this.pushes.schedule(key, ms, flush);
  }

  publish(symbol: string, event: MarketEvent, market: SyntheticMarket): void {
    const inst = market.instrument;
    const s = this.native(inst);
    for (const category of ['spot', 'linear'] as const) {
      if (event.trade) this.onTrade(category, symbol, event.trade, inst, market);
      const tickers = `${category}|tickers.${s}`;
      if ((event.trade || this.touchesTop(event, market)) && this.subscribers(tickers))
        this.push(tickers, category === 'spot' ? 50 : 100, () => this.flushTickers(category, tickers, inst, market));
    }
    if (event.trade) this.deps.truth.trade(this.name, symbol, event.trade.id);
    if (!event.changes.length) return;
    const reset =
      this.deps.faults.any('book_reset', this.name) && this.deps.faults.take('book_reset', { venue: this.name, symbol }) !== undefined;
    const gap = this.deps.faults.any('gap', this.name) && this.deps.faults.take('gap', { venue: this.name, symbol }) !== undefined;
    if (gap) this.deps.truth.skipped(this.name, symbol, event.seq, event.seq);
    else this.deps.truth.seq(this.name, symbol, event.seq);
    for (const category of ['spot', 'linear'] as const)
      for (const depth of DEPTHS) {
        const topic = `orderbook.${depth}.${s}`;
        const key = `${category}|${topic}`;
        if (!this.views.has(key)) continue;
        if (!this.subscribers(key)) {
          this.views.stop(key);
          this.pushes.cancel(key);
          this.updateIds.delete(key);
          continue;
        }
        this.views.add(key, event.changes);
        if (reset) {
          // Service restart: a snapshot with u=1; clients must replace their book.
          this.pushes.cancel(key);
          this.views.take(key, market.book, depth);
          this.updateIds.set(key, 1);
          this.sendSnapshot(key, topic, depth, inst, market);
          continue;
        }
        if (gap) this.updateIds.set(key, (this.updateIds.get(key) ?? 0) + 1); // a u that never arrives
        this.push(key, orderbookCadenceMs(category, depth), () => this.flushBook(key, topic, symbol, depth, market));
      }
  }

  private sendSnapshot(key: string, topic: string, depth: number, inst: Instrument, market: SyntheticMarket): void {
    const now = Date.now();
    this.lastPush.set(key, now);
    this.lastSnapshot.set(key, now);
    const u = this.updateIds.get(key) as number;
    this.broadcast(key, inst.symbol, 'orderbook_snapshot', () =>
      this.bookFrame(topic, 'snapshot', inst, market.book.top('bid', depth), market.book.top('ask', depth), market, u),
    );
  }

  private flushBook(key: string, topic: string, symbol: string, depth: number, market: SyntheticMarket): void {
    if (!this.subscribers(key)) return;
    const changes = this.views.take(key, market.book, depth);
    if (changes.length === 0) return;
    const u = (this.updateIds.get(key) ?? 0) + 1;
    this.updateIds.set(key, u);
    const now = Date.now();
    const every = this.bybit.resnapshotEveryMs;
    // Level 1 is snapshots only; deeper books may get a new snapshot at any time (option).
    if (depth === 1 || (every > 0 && now - (this.lastSnapshot.get(key) ?? 0) >= every))
      return this.sendSnapshot(key, topic, depth, market.instrument, market);
    this.lastPush.set(key, now);
    const side = (x: 'bid' | 'ask') => changes.filter((c: LevelChange) => c.side === x);
    this.broadcast(key, symbol, 'orderbook_delta', () =>
      this.bookFrame(topic, 'delta', market.instrument, side('bid'), side('ask'), market, u),
    );
  }

  /** orderbook.1: the same snapshot (same u) again after 3 s without a change. */
  private repeatLevel1(now: number): void {
    for (const [key, at] of this.lastPush) {
      if (!key.includes('|orderbook.1.') || now - at < this.bybit.level1RepeatMs || !this.subscribers(key)) continue;
      const topic = key.slice(key.indexOf('|') + 1);
      const inst = this.instrumentOf(topic.split('.')[2] as string) as Instrument;
      this.sendSnapshot(key, topic, 1, inst, this.deps.markets.get(inst.symbol) as SyntheticMarket);
    }
  }

  private onTrade(category: Category, symbol: string, trade: SimTrade, inst: Instrument, market: SyntheticMarket): void {
    const s = this.native(inst);
    const key = `${category}|publicTrade.${s}`;
    if (!this.subscribers(key)) return;
    let pending = this.pendingTrades.get(key);
    if (!pending) this.pendingTrades.set(key, (pending = []));
    pending.push(trade);
    const seq = market.seq;
    this.push(key, 0, () => {
      const batch = this.pendingTrades.get(key) ?? [];
      this.pendingTrades.delete(key);
      if (!batch.length) return;
      const now = Date.now();
      const data = batch.map((t) => ({
        T: now,
        s,
        S: t.side === 'buy' ? 'Buy' : 'Sell',
        v: formatFixed(t.sz, inst.sizeDecimals),
        p: formatFixed(t.px, inst.priceDecimals),
        L: 'ZeroPlusTick',
        i: String(t.id),
        BT: false,
        RPI: false,
        seq,
      }));
      if (this.broadcast(key, symbol, 'publicTrade', () => JSON.stringify({ topic: `publicTrade.${s}`, type: 'snapshot', ts: now, data })))
        this.tradesWentOut(
          symbol,
          batch.map((t) => t.id),
        );
    });
  }

  private flushTickers(category: Category, key: string, inst: Instrument, market: SyntheticMarket): void {
    const subs = this.subscribers(key);
    if (!subs) return;
    const topic = key.slice(key.indexOf('|') + 1);
    const full = bybitTicker(inst, market, category);
    if (category === 'spot')
      return void this.broadcast(key, inst.symbol, 'tickers', () => this.tickerFrame(topic, 'snapshot', full, market));
    // Linear: each connection gets the fields that changed since what it was sent last.
    for (const conn of subs) {
      const last = this.lastTicker.get(`${key}|${conn.id}`);
      const delta = last ? tickerDelta(last, full) : full;
      this.lastTicker.set(`${key}|${conn.id}`, full);
      if (Object.keys(delta).length > 1)
        this.unicast(conn, this.tickerFrame(topic, last ? 'delta' : 'snapshot', delta, market), inst.symbol, 'tickers');
    }
  }

  override close(): void {
    clearInterval(this.repeats);
    this.pushes.clear();
    super.close();
  }
}
