import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';

import type { Instrument } from '../market/instrument';
import type { MarketEvent, SimTrade, SyntheticMarket } from '../market/market';
import { BaseVenue } from './base-venue';
import { binanceDecimal, DepthBatch } from './binance-depth';
import { BINANCE_DEFAULTS, type BinanceOptions } from './binance-options';
import { depthLimit, depthWeight, exchangeInfo, exchangeInfoSymbol, symbolError, WEIGHT_LIMIT_PER_MINUTE } from './binance-rest';
import type { SimConnection } from './sim-connection';
import { sendJson, type VenueDeps } from './venue';

export { depthWeight } from './binance-rest';

/** Diff-depth streams and their update speed. */
const DEPTH_STREAMS = [
  { suffix: 'depth@100ms', everyTicks: 1 },
  { suffix: 'depth', everyTicks: 10 },
] as const;
const DEPTH_TICK_MS = 100;

/** An aggregate trade being built: consecutive fills of one taker at one price. */
interface OpenAggregate {
  a: number;
  f: number;
  l: number;
  px: number;
  sz: number;
  side: 'buy' | 'sell';
  T: number;
}

/**
 * Binance spot: raw (`/ws/<stream>`) and combined (`/stream?streams=a/b`) streams,
 * SUBSCRIBE/UNSUBSCRIBE/LIST_SUBSCRIPTIONS, `trade`, `aggTrade` (own id sequence), `bookTicker`,
 * `depthUpdate` diffs batched per 100 ms / 1000 ms with U/u; REST `/api/v3/depth` (lastUpdateId,
 * request weights) and exchangeInfo; server pings with a pong deadline, `serverShutdown` ahead of
 * the close, the incoming-message and connection-attempt limits.
 */
export class BinanceVenue extends BaseVenue {
  readonly name = 'binance' as const;
  private readonly rules: BinanceOptions;
  private readonly realistic: boolean;
  private weightWindow = { start: Date.now(), used: 0 };
  /** Per stream suffix: symbol → batch being collected. */
  private readonly batches = new Map<string, Map<string, DepthBatch>>(DEPTH_STREAMS.map((s) => [s.suffix, new Map()]));
  private readonly aggIds = new Map<string, number>();
  private readonly openAgg = new Map<string, OpenAggregate>();
  private aggFlushQueued = false;
  private depthTicks = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly attempts = new Map<string, number[]>();

  constructor(deps: VenueDeps) {
    super(deps);
    this.rules = { ...BINANCE_DEFAULTS, ...deps.options.binance };
    this.realistic = deps.options.profile !== 'per-event';
    if (this.realistic) this.every(DEPTH_TICK_MS, () => this.flushDepth());
  }

  private every(ms: number, f: () => void): void {
    const t = setInterval(f, ms);
    t.unref();
    this.timers.add(t);
  }

  /** Exact native symbol (REST symbols are upper case: `BTCUSDT`; `btcusdt` is not a symbol). */
  private exactInstrument(native: string | null): Instrument | undefined {
    return native ? this.deps.instruments.find((i) => this.native(i) === native) : undefined;
  }

  handleHttp(_req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const p = url.pathname;
    if (p === '/api/v3/ping') return (sendJson(res, 200, {}), true);
    if (p === '/api/v3/time') return (sendJson(res, 200, { serverTime: Date.now() }), true);
    if (p === '/api/v3/exchangeInfo') {
      const one = url.searchParams.get('symbol');
      const inst = one === null ? undefined : this.exactInstrument(one);
      if (one !== null && !inst) return (symbolError(res, one), true);
      const list = inst ? [inst] : this.deps.instruments;
      sendJson(res, 200, exchangeInfo(list.map((i) => exchangeInfoSymbol(this.native(i), i))));
      return true;
    }
    if (p === '/api/v3/depth') {
      const native = url.searchParams.get('symbol');
      const inst = this.exactInstrument(native);
      if (!inst) return (symbolError(res, native), true);
      const limit = depthLimit(url.searchParams.get('limit'));
      const used = this.useWeight(depthWeight(limit));
      const headers = { 'x-mbx-used-weight': String(used), 'x-mbx-used-weight-1m': String(used) };
      if (used > WEIGHT_LIMIT_PER_MINUTE) {
        const retry = Math.ceil((this.weightWindow.start + 60_000 - Date.now()) / 1000);
        sendJson(
          res,
          429,
          { code: -1003, msg: 'Too much request weight used; please use WebSocket Streams for live updates.' },
          { ...headers, 'retry-after': String(retry) },
        );
        return true;
      }
      const fmt = (l: { px: number; sz: number }) => [binanceDecimal(l.px, inst.priceDecimals), binanceDecimal(l.sz, inst.sizeDecimals)];
      this.serveSnapshot(
        res,
        inst,
        (status) => ({ code: -1003, msg: status === 418 ? 'Way too much request weight used; IP banned.' : 'Too many requests.' }),
        (m) => ({ lastUpdateId: m.seq, bids: m.book.top('bid', limit).map(fmt), asks: m.book.top('ask', limit).map(fmt) }),
        headers,
      );
      return true;
    }
    return false;
  }

  private useWeight(w: number): number {
    const now = Date.now();
    if (now - this.weightWindow.start >= 60_000) this.weightWindow = { start: now, used: 0 };
    this.weightWindow.used += w;
    return this.weightWindow.used;
  }

  /** At most `maxConnectionAttempts` per IP per window; further attempts are refused (close 1008). */
  override accept(ws: WebSocket, req: IncomingMessage, connectionId: number): void {
    const ip = req.socket.remoteAddress ?? 'unknown';
    const now = Date.now();
    const times = this.attempts.get(ip) ?? [];
    while (times.length && (times[0] as number) <= now - this.rules.connectionAttemptWindowMs) times.shift();
    times.push(now);
    this.attempts.set(ip, times);
    if (times.length > this.rules.maxConnectionAttempts) {
      ws.close(1008, 'Too many connection attempts');
      return;
    }
    super.accept(ws, req, connectionId);
  }

  protected override onOpen(conn: SimConnection, req: IncomingMessage): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const combined = url.pathname === '/stream';
    conn.state.set('combined', combined);
    conn.state.set('budget', { second: 0, count: 0 });
    // Control frames count toward the incoming-message limit too.
    conn.ws.on('ping', () => this.countIncoming(conn));
    conn.ws.on('pong', () => {
      conn.state.delete('pingUnansweredSince');
      this.countIncoming(conn);
    });
    const streams = combined ? (url.searchParams.get('streams') ?? '').split('/') : url.pathname.replace(/^\/ws\/?/, '').split('/');
    for (const s of streams.filter(Boolean)) this.subscribe(conn, this.key(conn, s));
  }

  /** Subscription key: exactly the stream name (stream names are lower case; `BTCUSDT@trade` carries nothing). */
  private key(conn: SimConnection, stream: string): string {
    return `${conn.state.get('combined') ? 'c' : 'r'}|${stream}`;
  }

  /** Counts one incoming message; false (and the connection closed) when over the per-second limit. */
  private countIncoming(conn: SimConnection): boolean {
    const budget = conn.state.get('budget') as { second: number; count: number };
    const second = Math.floor(Date.now() / 1000);
    if (budget.second !== second) Object.assign(budget, { second, count: 0 });
    if (++budget.count > this.rules.maxIncomingPerSecond) {
      conn.close(1008, 'Too many requests');
      return false;
    }
    return true;
  }

  protected onMessage(conn: SimConnection, text: string): void {
    if (!this.countIncoming(conn)) return;
    const msg = this.parse(text);
    const id = msg?.['id'] ?? null;
    if (!msg) return void conn.send(JSON.stringify({ error: { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' }, id }));
    if (typeof msg['method'] !== 'string') {
      return void conn.send(JSON.stringify({ error: { code: 2, msg: 'Invalid request: missing field `method`' }, id }));
    }
    const raw = msg['params'];
    const params = Array.isArray(raw) ? raw : [];
    switch (msg['method']) {
      case 'SUBSCRIBE': {
        if (params.some((s) => typeof s !== 'string')) {
          return void conn.send(JSON.stringify({ error: { code: 2, msg: 'Invalid request: invalid type: expected a string' }, id }));
        }
        if (conn.subscriptions.size + params.length > this.rules.maxStreams) {
          return void conn.send(
            JSON.stringify({ error: { code: 2, msg: `Invalid request: too many streams (max ${this.rules.maxStreams})` }, id }),
          );
        }
        if (this.deps.faults.take('refuse_subscribe', { venue: this.name, connection: conn.id })) {
          return void conn.send(JSON.stringify({ error: { code: 2, msg: 'Invalid request: subscription refused' }, id }));
        }
        // Any stream name is acknowledged; names that match no stream (unknown symbol, upper case) simply carry no data.
        for (const s of params as string[]) this.subscribe(conn, this.key(conn, s));
        conn.send(JSON.stringify({ result: null, id }));
        return;
      }
      case 'UNSUBSCRIBE':
        for (const s of params) if (typeof s === 'string') this.unsubscribe(conn, this.key(conn, s));
        conn.send(JSON.stringify({ result: null, id }));
        return;
      case 'LIST_SUBSCRIPTIONS':
        conn.send(JSON.stringify({ result: [...conn.subscriptions].map((k) => k.slice(2)), id }));
        return;
      default:
        conn.send(
          JSON.stringify({
            error: {
              code: 2,
              msg: `Invalid request: unknown variant \`${String(msg['method'])}\`, expected one of \`SUBSCRIBE\`, \`UNSUBSCRIBE\`, \`LIST_SUBSCRIPTIONS\`, \`SET_PROPERTY\`, \`GET_PROPERTY\``,
            },
            id,
          }),
        );
    }
  }

  /**
   * The `serverShutdown` event (wrapped like every frame on combined streams), then the close:
   * the base defers that close by the grace period (`venueOptions.shutdownGraceMs`) and the
   * streams keep flowing until then.
   */
  protected serverCloseNotice(conn: SimConnection): void {
    const event = `{"e":"serverShutdown","E":${Date.now()}}`;
    conn.send(conn.state.get('combined') ? `{"stream":"!serverShutdown","data":${event}}` : event);
    conn.close(1001, 'server shutdown');
  }

  protected override ping(conn: SimConnection): void {
    if (!conn.state.has('pingUnansweredSince')) conn.state.set('pingUnansweredSince', Date.now());
    super.ping(conn);
  }

  override tick(now: number): void {
    super.tick(now);
    const { connectionLifetimeMs } = this.deps.options;
    for (const conn of [...this.conns.values()]) {
      const unanswered = conn.state.get('pingUnansweredSince') as number | undefined;
      if (unanswered !== undefined && now - unanswered >= this.rules.pongTimeoutMs) {
        conn.close(1008, 'Pong timeout');
        continue;
      }
      // The 24 h lifetime: the notice goes out one grace period ahead, the close at the mark.
      if (now - conn.openedAt >= connectionLifetimeMs - this.shutdownGraceMs()) this.serverClose(conn);
    }
  }

  override close(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    super.close();
  }

  private hasSubscribers(stream: string): boolean {
    return this.subscribers(`r|${stream}`) !== undefined || this.subscribers(`c|${stream}`) !== undefined;
  }

  /** Sends one payload on a stream to raw (`r|`) and combined (`c|`, wrapped) subscribers. */
  private both(stream: string, symbol: string, kind: string, data: () => string): number {
    let cached: string | undefined;
    const get = () => (cached ??= data());
    return (
      this.broadcast(`r|${stream}`, symbol, kind, get) +
      this.broadcast(`c|${stream}`, symbol, kind, () => `{"stream":"${stream}","data":${get()}}`)
    );
  }

  publish(symbol: string, event: MarketEvent, market: SyntheticMarket): void {
    const inst = market.instrument;
    const lower = this.native(inst).toLowerCase();
    if (event.trade) this.publishTrade(symbol, lower, inst, event.trade);
    if (!event.changes.length) return;
    if (this.skipForGap(symbol, event)) {
      // The window collected so far goes out now: the next diff starts after the hole (U > previous u + 1).
      for (const { suffix } of DEPTH_STREAMS) this.flushBatch(symbol, inst, suffix);
    } else if (this.realistic) {
      for (const { suffix } of DEPTH_STREAMS) {
        if (!this.hasSubscribers(`${lower}@${suffix}`)) continue;
        const open = this.batches.get(suffix) as Map<string, DepthBatch>;
        let batch = open.get(symbol);
        if (!batch) open.set(symbol, (batch = new DepthBatch()));
        batch.add(event.seq, event.changes);
      }
    } else {
      const one = new DepthBatch();
      one.add(event.seq, event.changes);
      for (const { suffix } of DEPTH_STREAMS) this.sendDepth(symbol, inst, suffix, one);
    }
    if (this.touchesTop(event, market)) {
      const b = market.book.best('bid');
      const a = market.book.best('ask');
      const px = (v: number) => binanceDecimal(v, inst.priceDecimals);
      const sz = (v: number) => binanceDecimal(v, inst.sizeDecimals);
      if (b && a)
        this.both(
          `${lower}@bookTicker`,
          symbol,
          'bookTicker',
          () => `{"u":${event.seq},"s":"${this.native(inst)}","b":"${px(b.px)}","B":"${sz(b.sz)}","a":"${px(a.px)}","A":"${sz(a.sz)}"}`,
        );
    }
  }

  private flushDepth(): void {
    this.depthTicks++;
    for (const { suffix, everyTicks } of DEPTH_STREAMS) {
      if (this.depthTicks % everyTicks !== 0) continue;
      for (const inst of this.deps.instruments) this.flushBatch(inst.symbol, inst, suffix);
    }
  }

  private flushBatch(symbol: string, inst: Instrument, suffix: string): void {
    const open = this.batches.get(suffix) as Map<string, DepthBatch>;
    const batch = open.get(symbol);
    if (!batch || batch.empty) return;
    open.delete(symbol);
    this.sendDepth(symbol, inst, suffix, batch);
  }

  private sendDepth(symbol: string, inst: Instrument, suffix: string, batch: DepthBatch): void {
    const stream = `${this.native(inst).toLowerCase()}@${suffix}`;
    const levels = (side: 'bid' | 'ask') =>
      batch
        .levels(side)
        .map(([px, sz]) => `["${binanceDecimal(px, inst.priceDecimals)}","${binanceDecimal(sz, inst.sizeDecimals)}"]`)
        .join(',');
    this.both(
      stream,
      symbol,
      'depthUpdate',
      () =>
        `{"e":"depthUpdate","E":${Date.now()},"s":"${this.native(inst)}","U":${batch.first},"u":${batch.last},"b":[${levels('bid')}],"a":[${levels('ask')}]}`,
    );
  }

  private publishTrade(symbol: string, lower: string, inst: Instrument, t: SimTrade): void {
    this.deps.truth.trade(this.name, symbol, t.id);
    const now = Date.now();
    // m: the buyer is the maker, i.e. the taker sold.
    const maker = t.side === 'sell';
    const sent = this.both(
      `${lower}@trade`,
      symbol,
      'trade',
      () =>
        `{"e":"trade","E":${now},"s":"${this.native(inst)}","t":${t.id},"p":"${binanceDecimal(t.px, inst.priceDecimals)}","q":"${binanceDecimal(t.sz, inst.sizeDecimals)}","T":${now},"m":${maker},"M":true}`,
    );
    if (sent) this.tradesWentOut(symbol, [t.id]);
    // Aggregate trades: consecutive fills of one taker at one price (one event-loop turn) make one aggTrade.
    const open = this.openAgg.get(symbol);
    if (this.realistic && open && open.px === t.px && open.side === t.side && open.l === t.id - 1) {
      open.l = t.id;
      open.sz += t.sz;
      return;
    }
    if (open) this.sendAgg(symbol, inst, open);
    const a = (this.aggIds.get(symbol) ?? 0) + 1;
    this.aggIds.set(symbol, a);
    const agg: OpenAggregate = { a, f: t.id, l: t.id, px: t.px, sz: t.sz, side: t.side, T: now };
    if (!this.realistic) return this.sendAgg(symbol, inst, agg);
    this.openAgg.set(symbol, agg);
    if (!this.aggFlushQueued) {
      this.aggFlushQueued = true;
      queueMicrotask(() => {
        this.aggFlushQueued = false;
        for (const i of this.deps.instruments) {
          const pending = this.openAgg.get(i.symbol);
          if (pending) this.sendAgg(i.symbol, i, pending);
        }
      });
    }
  }

  private sendAgg(symbol: string, inst: Instrument, g: OpenAggregate): void {
    if (this.openAgg.get(symbol) === g) this.openAgg.delete(symbol);
    const sent = this.both(
      `${this.native(inst).toLowerCase()}@aggTrade`,
      symbol,
      'aggTrade',
      () =>
        `{"e":"aggTrade","E":${Date.now()},"s":"${this.native(inst)}","a":${g.a},"p":"${binanceDecimal(g.px, inst.priceDecimals)}","q":"${binanceDecimal(g.sz, inst.sizeDecimals)}","f":${g.f},"l":${g.l},"T":${g.T},"m":${g.side === 'sell'},"M":true}`,
    );
    if (sent) this.tradesWentOut(symbol, range(g.f, g.l));
  }
}

function* range(from: number, to: number): Iterable<number> {
  for (let i = from; i <= to; i++) yield i;
}
