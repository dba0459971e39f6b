import { formatFixed, type Level, type LevelChange } from '@cryptoscalp/market';

import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Instrument } from '../market/instrument';
import type { MarketEvent, SyntheticMarket } from '../market/market';
import { BaseVenue } from './base-venue';
import { DepthViews } from './depth-views';
import type { SimConnection } from './sim-connection';
import { sendJson } from './venue';

const DEPTHS = [1, 50, 200, 1000];

/**
 * Bybit v5 public spot: `op: subscribe` (`orderbook.<depth>.<symbol>`, `publicTrade.<symbol>`,
 * `tickers.<symbol>`), book snapshot/delta with `u` (per topic, 1 = reset) and `seq`,
 * `op: ping`; REST `/v5/market/orderbook` and `/v5/market/instruments-info`.
 */
export class BybitVenue extends BaseVenue {
  readonly name = 'bybit' as const;
  private readonly views = new DepthViews();
  /** Per orderbook topic: the last `u` sent. */
  private readonly updateIds = new Map<string, number>();

  handleHttp(_req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (url.pathname === '/v5/market/instruments-info') {
      sendJson(res, 200, {
        retCode: 0,
        retMsg: 'OK',
        result: {
          category: 'spot',
          list: this.deps.instruments.map((i) => ({
            symbol: this.native(i),
            baseCoin: i.base,
            quoteCoin: i.quote,
            status: 'Trading',
            priceFilter: { tickSize: formatFixed(1, i.priceDecimals) },
            lotSizeFilter: { basePrecision: formatFixed(1, i.sizeDecimals) },
          })),
        },
        time: Date.now(),
      });
      return true;
    }
    if (url.pathname !== '/v5/market/orderbook') return false;
    const inst = this.instrumentOf(url.searchParams.get('symbol') ?? '');
    if (!inst) return (sendJson(res, 200, { retCode: 10001, retMsg: 'params error: symbol invalid', result: {}, time: Date.now() }), true);
    const limit = Math.min(200, Number(url.searchParams.get('limit') ?? 1) || 1);
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

  private fmt(inst: Instrument): (l: Level) => [string, string] {
    return (l) => [formatFixed(l.px, inst.priceDecimals), formatFixed(l.sz, inst.sizeDecimals)];
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
    const bad = topics.filter((t) => {
      const p = this.parseTopic(t);
      return !p.inst || p.kind === 'unknown' || (p.kind === 'orderbook' && !DEPTHS.includes(p.depth ?? -1));
    });
    if (bad.length) return reply(op, false, `Invalid topic :[${bad.join(',')}]`);
    if (op === 'subscribe' && this.deps.faults.take('refuse_subscribe', { venue: this.name, connection: conn.id }))
      return reply(op, false, 'error:request too frequent');
    reply(op, true, '');
    for (const topic of topics) {
      const p = this.parseTopic(topic);
      const inst = p.inst as Instrument;
      const key = `${topic}`;
      if (op === 'unsubscribe') {
        this.unsubscribe(conn, key);
        continue;
      }
      this.subscribe(conn, key);
      if (p.kind === 'orderbook') {
        const market = this.deps.markets.get(inst.symbol) as SyntheticMarket;
        this.views.start(key, market.book, p.depth as number);
        const u = this.updateIds.get(key) ?? market.seq;
        this.updateIds.set(key, u);
        this.unicast(
          conn,
          this.bookFrame(
            key,
            'snapshot',
            inst,
            market.book.top('bid', p.depth as number),
            market.book.top('ask', p.depth as number),
            market,
            u,
          ),
          inst.symbol,
          'orderbook_snapshot',
        );
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

  protected serverCloseNotice(conn: SimConnection): void {
    conn.close(1001, 'server restart');
  }

  publish(symbol: string, event: MarketEvent, market: SyntheticMarket): void {
    const inst = market.instrument;
    const s = this.native(inst);
    const px = (v: number) => formatFixed(v, inst.priceDecimals);
    const sz = (v: number) => formatFixed(v, inst.sizeDecimals);
    if (event.trade) {
      const t = event.trade;
      this.deps.truth.trade(this.name, symbol, t.id);
      const now = Date.now();
      this.broadcast(`publicTrade.${s}`, symbol, 'publicTrade', () =>
        JSON.stringify({
          topic: `publicTrade.${s}`,
          type: 'snapshot',
          ts: now,
          data: [
            { T: now, s, S: t.side === 'buy' ? 'Buy' : 'Sell', v: sz(t.sz), p: px(t.px), L: 'ZeroPlusTick', i: String(t.id), BT: false },
          ],
        }),
      );
      this.broadcast(`tickers.${s}`, symbol, 'tickers', () =>
        JSON.stringify({
          topic: `tickers.${s}`,
          ts: now,
          type: 'snapshot',
          cs: market.seq,
          data: {
            symbol: s,
            lastPrice: px(t.px),
            highPrice24h: px(market.high),
            lowPrice24h: px(market.low),
            prevPrice24h: px(market.openPx),
            volume24h: sz(market.volume),
            turnover24h: '0',
            price24hPcnt: '0',
            usdIndexPrice: '',
          },
        }),
      );
    }
    if (!event.changes.length) return;
    const gap = this.skipForGap(symbol, event);
    const reset =
      this.deps.faults.any('book_reset', this.name) && this.deps.faults.take('book_reset', { venue: this.name, symbol }) !== undefined;
    for (const depth of DEPTHS) {
      const key = `orderbook.${depth}.${s}`;
      if (!this.views.has(key)) continue;
      if (!this.subscribers(key)) {
        this.views.stop(key);
        this.updateIds.delete(key);
        continue;
      }
      const changes = this.views.changes(key, market.book, depth, event.changes);
      if (reset) {
        // Service restart: a snapshot with u=1; clients must replace their book.
        this.updateIds.set(key, 1);
        this.broadcast(key, symbol, 'orderbook_snapshot', () =>
          this.bookFrame(key, 'snapshot', inst, market.book.top('bid', depth), market.book.top('ask', depth), market, 1),
        );
        continue;
      }
      if (changes.length === 0) continue;
      // u is continuous per topic; a gap fault consumes one u without sending it.
      const u = (this.updateIds.get(key) ?? 0) + 1;
      this.updateIds.set(key, u);
      if (gap) continue;
      const side = (x: 'bid' | 'ask') => changes.filter((c: LevelChange) => c.side === x);
      this.broadcast(key, symbol, 'orderbook_delta', () => this.bookFrame(key, 'delta', inst, side('bid'), side('ask'), market, u));
    }
  }
}
