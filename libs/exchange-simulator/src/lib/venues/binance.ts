import { formatFixed, type Level, type LevelChange } from '@cryptoscalp/market';

import type { IncomingMessage, ServerResponse } from 'node:http';

import type { MarketEvent, SyntheticMarket } from '../market/market';
import { BaseVenue } from './base-venue';
import type { SimConnection } from './sim-connection';
import { sendJson } from './venue';

const STREAM_KINDS = ['trade', 'aggTrade', 'bookTicker', 'depth', 'depth@100ms'] as const;
const MAX_STREAMS = 1024;
const MAX_INCOMING_PER_SECOND = 5;
const WEIGHT_LIMIT_PER_MINUTE = 6000;

/** REST depth request weight by limit, as Binance documents it. */
export function depthWeight(limit: number): number {
  if (limit <= 100) return 5;
  if (limit <= 500) return 25;
  if (limit <= 1000) return 50;
  return 250;
}

/**
 * Binance spot: raw (`/ws/<stream>`) and combined (`/stream?streams=a/b`) streams,
 * SUBSCRIBE/UNSUBSCRIBE/LIST_SUBSCRIPTIONS, `trade`, `aggTrade`, `bookTicker`, `depthUpdate`
 * diffs with U/u; REST `/api/v3/depth` (lastUpdateId, request weights) and exchangeInfo; server
 * pings, the connection lifetime with `serverShutdown`, stream and message-rate limits.
 */
export class BinanceVenue extends BaseVenue {
  readonly name = 'binance' as const;
  private weightWindow = { start: Date.now(), used: 0 };

  handleHttp(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const p = url.pathname;
    if (p === '/api/v3/ping') return (sendJson(res, 200, {}), true);
    if (p === '/api/v3/time') return (sendJson(res, 200, { serverTime: Date.now() }), true);
    if (p === '/api/v3/exchangeInfo') {
      sendJson(res, 200, {
        timezone: 'UTC',
        serverTime: Date.now(),
        rateLimits: [
          { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: WEIGHT_LIMIT_PER_MINUTE },
          { rateLimitType: 'CONNECTIONS', interval: 'MINUTE', intervalNum: 5, limit: 300 },
        ],
        symbols: this.deps.instruments.map((i) => ({
          symbol: this.native(i),
          status: 'TRADING',
          baseAsset: i.base,
          quoteAsset: i.quote,
          baseAssetPrecision: i.sizeDecimals,
          quotePrecision: i.priceDecimals,
          filters: [
            { filterType: 'PRICE_FILTER', tickSize: formatFixed(1, i.priceDecimals) },
            { filterType: 'LOT_SIZE', stepSize: formatFixed(1, i.sizeDecimals) },
          ],
        })),
      });
      return true;
    }
    if (p === '/api/v3/depth') {
      const native = url.searchParams.get('symbol') ?? '';
      const limit = Math.min(5000, Number(url.searchParams.get('limit') ?? 100) || 100);
      const inst = this.instrumentOf(native);
      if (!inst) return (sendJson(res, 400, { code: -1121, msg: 'Invalid symbol.' }), true);
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
      const fmt = (l: Level) => [formatFixed(l.px, inst.priceDecimals), formatFixed(l.sz, inst.sizeDecimals)];
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

  protected override onOpen(conn: SimConnection, req: IncomingMessage): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const combined = url.pathname === '/stream';
    conn.state.set('combined', combined);
    conn.state.set('budget', { second: 0, count: 0 });
    const streams = combined ? (url.searchParams.get('streams') ?? '').split('/') : url.pathname.replace(/^\/ws\/?/, '').split('/');
    for (const s of streams.filter(Boolean)) {
      if (!this.validStream(s)) {
        conn.close(1008, `invalid stream ${s}`);
        return;
      }
      this.add(conn, s);
    }
  }

  private validStream(stream: string): boolean {
    const at = stream.indexOf('@');
    if (at < 0) return false;
    const kind = stream.slice(at + 1);
    return (STREAM_KINDS as readonly string[]).includes(kind) && this.instrumentOf(stream.slice(0, at)) !== undefined;
  }

  /** Stream names: lower-case symbol, case-sensitive kind (`btcusdt@bookTicker`). */
  private key(conn: SimConnection, stream: string): string {
    const at = stream.indexOf('@');
    return `${conn.state.get('combined') ? 'c' : 'r'}|${stream.slice(0, at).toLowerCase()}${stream.slice(at)}`;
  }

  private add(conn: SimConnection, stream: string): void {
    this.subscribe(conn, this.key(conn, stream));
  }

  protected onMessage(conn: SimConnection, text: string): void {
    // Incoming message limit: more than 5 per second disconnects.
    const budget = conn.state.get('budget') as { second: number; count: number };
    const second = Math.floor(Date.now() / 1000);
    if (budget.second !== second) Object.assign(budget, { second, count: 0 });
    if (++budget.count > MAX_INCOMING_PER_SECOND) {
      conn.close(1008, 'Too many requests');
      return;
    }
    const msg = this.parse(text);
    const id = msg?.['id'] ?? null;
    if (!msg || typeof msg['method'] !== 'string') {
      conn.send(JSON.stringify({ error: { code: 3, msg: 'Invalid JSON: expected an object with "method"' }, id }));
      return;
    }
    const params = Array.isArray(msg['params']) ? (msg['params'] as unknown[]).map(String) : [];
    switch (msg['method']) {
      case 'SUBSCRIBE': {
        const bad = params.find((s) => !this.validStream(s));
        if (bad !== undefined)
          return void conn.send(JSON.stringify({ error: { code: 2, msg: `Invalid request: unknown stream ${bad}` }, id }));
        if (conn.subscriptions.size + params.length > MAX_STREAMS) {
          return void conn.send(JSON.stringify({ error: { code: 2, msg: `Invalid request: too many streams (max ${MAX_STREAMS})` }, id }));
        }
        if (this.deps.faults.take('refuse_subscribe', { venue: this.name, connection: conn.id })) {
          return void conn.send(JSON.stringify({ error: { code: 2, msg: 'Invalid request: subscription refused' }, id }));
        }
        for (const s of params) this.add(conn, s);
        conn.send(JSON.stringify({ result: null, id }));
        return;
      }
      case 'UNSUBSCRIBE':
        for (const s of params) this.unsubscribe(conn, this.key(conn, s));
        conn.send(JSON.stringify({ result: null, id }));
        return;
      case 'LIST_SUBSCRIPTIONS':
        conn.send(JSON.stringify({ result: [...conn.subscriptions].map((k) => k.slice(2)), id }));
        return;
      default:
        conn.send(JSON.stringify({ error: { code: 1, msg: `Unknown method ${String(msg['method'])}` }, id }));
    }
  }

  protected serverCloseNotice(conn: SimConnection): void {
    conn.send(JSON.stringify({ e: 'serverShutdown', E: Date.now() }));
    conn.close(1001, 'server shutdown');
  }

  override tick(now: number): void {
    super.tick(now);
    for (const conn of [...this.conns.values()]) {
      if (now - conn.openedAt >= this.deps.options.connectionLifetimeMs) {
        this.serverCloseNotice(conn);
        this.forget(conn);
      }
    }
  }

  publish(symbol: string, event: MarketEvent, market: SyntheticMarket): void {
    const inst = market.instrument;
    const s = this.native(inst);
    const lower = s.toLowerCase();
    const px = (v: number) => formatFixed(v, inst.priceDecimals);
    const sz = (v: number) => formatFixed(v, inst.sizeDecimals);
    const wrap = (stream: string, data: string) => `{"stream":"${stream}","data":${data}}`;
    const both = (stream: string, kind: string, data: () => string) => {
      let cached: string | undefined;
      const get = () => (cached ??= data());
      this.broadcast(`r|${stream}`, symbol, kind, get);
      this.broadcast(`c|${stream}`, symbol, kind, () => wrap(stream, get()));
    };

    if (event.trade) {
      const t = event.trade;
      this.deps.truth.trade(this.name, symbol, t.id);
      // m: the buyer is the maker, i.e. the taker sold.
      const maker = t.side === 'sell';
      both(
        `${lower}@trade`,
        'trade',
        () =>
          `{"e":"trade","E":${Date.now()},"s":"${s}","t":${t.id},"p":"${px(t.px)}","q":"${sz(t.sz)}","T":${Date.now()},"m":${maker},"M":true}`,
      );
      both(
        `${lower}@aggTrade`,
        'aggTrade',
        () =>
          `{"e":"aggTrade","E":${Date.now()},"s":"${s}","a":${t.id},"p":"${px(t.px)}","q":"${sz(t.sz)}","f":${t.id},"l":${t.id},"T":${Date.now()},"m":${maker},"M":true}`,
      );
    }
    if (event.changes.length) {
      if (!this.skipForGap(symbol, event)) {
        const levels = (side: 'bid' | 'ask') =>
          event.changes
            .filter((c: LevelChange) => c.side === side)
            .map((c) => `["${px(c.px)}","${sz(c.sz)}"]`)
            .join(',');
        const diff = () =>
          `{"e":"depthUpdate","E":${Date.now()},"s":"${s}","U":${event.seq},"u":${event.seq},"b":[${levels('bid')}],"a":[${levels('ask')}]}`;
        both(`${lower}@depth@100ms`, 'depthUpdate', diff);
        both(`${lower}@depth`, 'depthUpdate', diff);
      }
      if (this.touchesTop(event, market)) {
        const b = market.book.best('bid');
        const a = market.book.best('ask');
        if (b && a)
          both(
            `${lower}@bookTicker`,
            'bookTicker',
            () => `{"u":${event.seq},"s":"${s}","b":"${px(b.px)}","B":"${sz(b.sz)}","a":"${px(a.px)}","A":"${sz(a.sz)}"}`,
          );
      }
    }
  }
}
