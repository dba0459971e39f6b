import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';

import type { SymbolTally } from '../ground-truth';
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
  /** Per symbol: stream keys, depth windows, aggregate trade and ground-truth tally. */
  private readonly outs = new Map<string, SymbolOut>();
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

  /** Per-symbol stream names, subscription keys, batches and tally, built once per symbol. */
  private out(symbol: string, inst: Instrument): SymbolOut {
    let o = this.outs.get(symbol);
    if (!o) this.outs.set(symbol, (o = new SymbolOut(inst, this.native(inst), this.deps.truth.symbol(this.name, symbol))));
    return o;
  }

  /** True when a stream has raw or combined subscribers. */
  private wanted(keys: StreamKeys): boolean {
    return this.subscribers(keys.raw) !== undefined || this.subscribers(keys.combined) !== undefined;
  }

  /** Sends one payload on a stream to raw (`r|`) and combined (`c|`, wrapped) subscribers; counted in the ground truth. */
  private both(o: SymbolOut, keys: StreamKeys, kind: string, payload: string): number {
    const raw = this.subscribers(keys.raw);
    const combined = this.subscribers(keys.combined);
    let n = 0;
    if (raw) n += this.sendTo(raw, o.inst.symbol, payload);
    if (combined) n += this.sendTo(combined, o.inst.symbol, `${keys.prefix}${payload}}`);
    if (n) o.tally.sent(kind, n);
    return n;
  }

  publish(symbol: string, event: MarketEvent, market: SyntheticMarket): void {
    const o = this.out(symbol, market.instrument);
    if (event.trade) this.publishTrade(o, event.trade);
    if (!event.changes.length) return;
    const gap = this.deps.faults.armed > 0 ? this.skipForGap(symbol, event) : (o.tally.seq(event.seq), false);
    if (gap) {
      // The window collected so far goes out now: the next diff starts after the hole (U > previous u + 1).
      for (let i = 0; i < DEPTH_STREAMS.length; i++) this.flushBatch(o, i);
    } else if (this.realistic) {
      for (let i = 0; i < DEPTH_STREAMS.length; i++) {
        if (!this.wanted(o.depth[i] as StreamKeys)) {
          // Nobody receives this update: a window collected for an earlier subscriber must not go
          // out to the next one, or its diffs would skip this update (U != previous u + 1).
          o.batches[i] = undefined;
          continue;
        }
        (o.batches[i] ??= new DepthBatch()).add(event.seq, event.changes);
      }
    } else {
      const one = new DepthBatch();
      one.add(event.seq, event.changes);
      for (let i = 0; i < DEPTH_STREAMS.length; i++) this.sendDepth(o, i, one);
    }
    if (this.wanted(o.bookTicker) && touchesTop(event, market)) {
      const b = market.book.best('bid');
      const a = market.book.best('ask');
      const { priceDecimals: pd, sizeDecimals: sd } = o.inst;
      if (b && a) {
        this.both(
          o,
          o.bookTicker,
          'bookTicker',
          `{"u":${event.seq},"s":"${o.native}","b":"${binanceDecimal(b.px, pd)}","B":"${binanceDecimal(b.sz, sd)}","a":"${binanceDecimal(a.px, pd)}","A":"${binanceDecimal(a.sz, sd)}"}`,
        );
      }
    }
  }

  private flushDepth(): void {
    this.depthTicks++;
    for (let i = 0; i < DEPTH_STREAMS.length; i++) {
      if (this.depthTicks % (DEPTH_STREAMS[i] as (typeof DEPTH_STREAMS)[number]).everyTicks !== 0) continue;
      for (const inst of this.deps.instruments) this.flushBatch(this.out(inst.symbol, inst), i);
    }
  }

  private flushBatch(o: SymbolOut, i: number): void {
    const batch = o.batches[i];
    if (!batch || batch.empty) return;
    o.batches[i] = undefined;
    this.sendDepth(o, i, batch);
  }

  private sendDepth(o: SymbolOut, i: number, batch: DepthBatch): void {
    const keys = o.depth[i] as StreamKeys;
    if (!this.wanted(keys)) return;
    const { priceDecimals: pd, sizeDecimals: sd } = o.inst;
    const levels = (side: 'bid' | 'ask') => {
      let text = '';
      for (const [px, sz] of batch.levels(side)) text += `${text ? ',' : ''}["${binanceDecimal(px, pd)}","${binanceDecimal(sz, sd)}"]`;
      return text;
    };
    this.both(
      o,
      keys,
      'depthUpdate',
      `{"e":"depthUpdate","E":${Date.now()},"s":"${o.native}","U":${batch.first},"u":${batch.last},"b":[${levels('bid')}],"a":[${levels('ask')}]}`,
    );
  }

  private publishTrade(o: SymbolOut, t: SimTrade): void {
    o.tally.trade(t.id);
    const now = Date.now();
    const { priceDecimals: pd, sizeDecimals: sd } = o.inst;
    // m: the buyer is the maker, i.e. the taker sold.
    if (this.wanted(o.trade)) {
      const sent = this.both(
        o,
        o.trade,
        'trade',
        `{"e":"trade","E":${now},"s":"${o.native}","t":${t.id},"p":"${binanceDecimal(t.px, pd)}","q":"${binanceDecimal(t.sz, sd)}","T":${now},"m":${t.side === 'sell'},"M":true}`,
      );
      if (sent) o.tally.tradeRangeSent(t.id, t.id);
    }
    // Aggregate trades: consecutive fills of one taker at one price (one event-loop turn) make one aggTrade.
    const open = o.openAgg;
    if (this.realistic && open && open.px === t.px && open.side === t.side && open.l === t.id - 1) {
      open.l = t.id;
      open.sz += t.sz;
      return;
    }
    if (open) this.sendAgg(o, open);
    const agg: OpenAggregate = { a: ++o.aggId, f: t.id, l: t.id, px: t.px, sz: t.sz, side: t.side, T: now };
    if (!this.realistic) return this.sendAgg(o, agg);
    o.openAgg = agg;
    if (!this.aggFlushQueued) {
      this.aggFlushQueued = true;
      queueMicrotask(() => {
        this.aggFlushQueued = false;
        for (const i of this.deps.instruments) {
          const p = this.outs.get(i.symbol);
          if (p?.openAgg) this.sendAgg(p, p.openAgg);
        }
      });
    }
  }

  private sendAgg(o: SymbolOut, g: OpenAggregate): void {
    if (o.openAgg === g) o.openAgg = undefined;
    if (!this.wanted(o.aggTrade)) return;
    const { priceDecimals: pd, sizeDecimals: sd } = o.inst;
    const sent = this.both(
      o,
      o.aggTrade,
      'aggTrade',
      `{"e":"aggTrade","E":${Date.now()},"s":"${o.native}","a":${g.a},"p":"${binanceDecimal(g.px, pd)}","q":"${binanceDecimal(g.sz, sd)}","f":${g.f},"l":${g.l},"T":${g.T},"m":${g.side === 'sell'},"M":true}`,
    );
    if (sent) o.tally.tradeRangeSent(g.f, g.l);
  }
}

/** One stream of one symbol: its name, subscription keys (raw `r|`, combined `c|`) and combined-stream wrapper. */
class StreamKeys {
  readonly raw: string;
  readonly combined: string;
  /** `{"stream":"<name>","data":` — the combined-stream envelope before the payload. */
  readonly prefix: string;

  constructor(readonly name: string) {
    this.raw = `r|${name}`;
    this.combined = `c|${name}`;
    this.prefix = `{"stream":"${name}","data":`;
  }
}

/** Everything the per-event path needs for one symbol, built once. */
class SymbolOut {
  readonly trade: StreamKeys;
  readonly aggTrade: StreamKeys;
  readonly bookTicker: StreamKeys;
  /** Per DEPTH_STREAMS entry. */
  readonly depth: StreamKeys[];
  /** Per DEPTH_STREAMS entry: the window being collected. */
  readonly batches: (DepthBatch | undefined)[] = [];
  aggId = 0;
  openAgg: OpenAggregate | undefined;

  constructor(
    readonly inst: Instrument,
    readonly native: string,
    readonly tally: SymbolTally,
  ) {
    const lower = native.toLowerCase();
    this.trade = new StreamKeys(`${lower}@trade`);
    this.aggTrade = new StreamKeys(`${lower}@aggTrade`);
    this.bookTicker = new StreamKeys(`${lower}@bookTicker`);
    this.depth = DEPTH_STREAMS.map((d) => new StreamKeys(`${lower}@${d.suffix}`));
  }
}

/** True when the event changed the best bid or ask (bookTicker publishes then). */
function touchesTop(event: MarketEvent, market: SyntheticMarket): boolean {
  const book = market.book;
  for (const c of event.changes) {
    const best = book.best(c.side);
    if (!best || (c.side === 'bid' ? c.px >= best.px : c.px <= best.px)) return true;
  }
  return false;
}
