import { formatFixed, krakenChecksum, type Level, type LevelChange } from '@cryptoscalp/market';

import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Instrument } from '../market/instrument';
import type { MarketEvent, SyntheticMarket } from '../market/market';
import { BaseVenue } from './base-venue';
import { DepthViews } from './depth-views';
import type { SimConnection } from './sim-connection';
import { sendJson } from './venue';

const DEPTHS = [10, 25, 100, 500, 1000];

/**
 * Kraken WebSocket v2: `subscribe` with `req_id` acks, `book` snapshot/update with the CRC32
 * `checksum` (prices and quantities as JSON numbers written with their significant trailing
 * zeros), `trade`, `ticker`, `heartbeat`, `status`, ping/pong; REST `/0/public/Depth` and
 * `/0/public/AssetPairs`.
 */
export class KrakenVenue extends BaseVenue {
  readonly name = 'kraken' as const;
  private readonly views = new DepthViews();

  handleHttp(_req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (url.pathname === '/0/public/AssetPairs') {
      const result = Object.fromEntries(
        this.deps.instruments.map((i) => [
          `${i.base}${i.quote}`,
          {
            altname: `${i.base}${i.quote}`,
            wsname: this.native(i),
            base: i.base,
            quote: i.quote,
            pair_decimals: i.priceDecimals,
            lot_decimals: i.sizeDecimals,
            status: 'online',
          },
        ]),
      );
      sendJson(res, 200, { error: [], result });
      return true;
    }
    if (url.pathname !== '/0/public/Depth') return false;
    const pair = url.searchParams.get('pair') ?? '';
    const inst = this.deps.instruments.find((i) => `${i.base}${i.quote}` === pair.toUpperCase() || this.native(i) === pair.toUpperCase());
    if (!inst) return (sendJson(res, 200, { error: ['EQuery:Unknown asset pair'] }), true);
    const count = Math.min(500, Number(url.searchParams.get('count') ?? 100) || 100);
    this.serveSnapshot(
      res,
      inst,
      () => ({ error: ['EGeneral:Too many requests'] }),
      (m) => {
        const ts = Math.floor(Date.now() / 1000);
        const fmt = (l: Level) => [formatFixed(l.px, inst.priceDecimals), formatFixed(l.sz, inst.sizeDecimals), ts];
        return { error: [], result: { [pair]: { bids: m.book.top('bid', count).map(fmt), asks: m.book.top('ask', count).map(fmt) } } };
      },
    );
    return true;
  }

  protected override onOpen(conn: SimConnection): void {
    conn.send(
      JSON.stringify({
        channel: 'status',
        type: 'update',
        data: [{ version: '2.0.10', system: 'online', api_version: 'v2', connection_id: conn.id }],
      }),
    );
  }

  private ack(
    conn: SimConnection,
    method: string,
    reqId: unknown,
    result: Record<string, unknown> | undefined,
    error?: string,
    symbol?: string,
  ): void {
    const now = new Date().toISOString();
    conn.send(
      JSON.stringify(
        error
          ? {
              method,
              error,
              success: false,
              ...(symbol ? { symbol } : {}),
              time_in: now,
              time_out: now,
              ...(reqId !== undefined ? { req_id: reqId } : {}),
            }
          : { method, result, success: true, time_in: now, time_out: now, ...(reqId !== undefined ? { req_id: reqId } : {}) },
      ),
    );
  }

  protected onMessage(conn: SimConnection, text: string): void {
    const msg = this.parse(text);
    if (!msg) return this.ack(conn, 'subscribe', undefined, undefined, 'EGeneral:Invalid arguments:malformed JSON');
    const method = String(msg['method']);
    const reqId = msg['req_id'];
    if (method === 'ping') {
      const now = new Date().toISOString();
      return void conn.send(
        JSON.stringify({ method: 'pong', ...(reqId !== undefined ? { req_id: reqId } : {}), time_in: now, time_out: now }),
      );
    }
    if (method !== 'subscribe' && method !== 'unsubscribe')
      return this.ack(conn, method, reqId, undefined, `EGeneral:Invalid arguments:method ${method}`);
    const params = (msg['params'] ?? {}) as { channel?: string; symbol?: unknown; depth?: number; snapshot?: boolean };
    const channel = params.channel ?? '';
    if (!['book', 'trade', 'ticker', 'heartbeat'].includes(channel))
      return this.ack(conn, method, reqId, undefined, `EGeneral:Invalid arguments:channel ${channel}`);
    if (channel === 'heartbeat') {
      if (method === 'subscribe') this.subscribe(conn, 'heartbeat');
      else this.unsubscribe(conn, 'heartbeat');
      return this.ack(conn, method, reqId, { channel });
    }
    const depth = params.depth ?? 10;
    if (channel === 'book' && !DEPTHS.includes(depth))
      return this.ack(conn, method, reqId, undefined, `EGeneral:Invalid arguments:depth ${depth}`);
    const symbols = Array.isArray(params.symbol) ? params.symbol.map(String) : [];
    if (symbols.length === 0) return this.ack(conn, method, reqId, undefined, 'EGeneral:Invalid arguments:symbol required');
    for (const s of symbols) {
      const inst = this.instrumentOf(s);
      if (!inst) {
        this.ack(conn, method, reqId, undefined, `Currency pair not supported ${s}`, s);
        continue;
      }
      if (
        method === 'subscribe' &&
        this.deps.faults.take('refuse_subscribe', { venue: this.name, symbol: inst.symbol, connection: conn.id })
      ) {
        this.ack(conn, method, reqId, undefined, 'EGeneral:Temporary lockout', s);
        continue;
      }
      const key = channel === 'book' ? `book|${inst.symbol}|${depth}` : `${channel}|${inst.symbol}`;
      if (method === 'unsubscribe') {
        this.unsubscribe(conn, key);
        this.ack(conn, method, reqId, { channel, symbol: s, ...(channel === 'book' ? { depth } : {}) });
        continue;
      }
      this.subscribe(conn, key);
      this.ack(conn, method, reqId, {
        channel,
        symbol: s,
        ...(channel === 'book' ? { depth, snapshot: params.snapshot !== false } : { snapshot: params.snapshot !== false }),
      });
      const market = this.deps.markets.get(inst.symbol) as SyntheticMarket;
      if (channel === 'book' && params.snapshot !== false) {
        this.views.start(key, market.book, depth);
        this.unicast(
          conn,
          this.bookFrame('snapshot', inst, market.book.top('bid', depth), market.book.top('ask', depth), market, false),
          inst.symbol,
          'book_snapshot',
        );
      } else if (channel === 'book') this.views.start(key, market.book, depth);
    }
  }

  /** Level objects with price/qty as JSON numbers keeping the instrument's decimals. */
  private levels(inst: Instrument, levels: readonly { px: number; sz: number }[]): string {
    return levels.map((l) => `{"price":${formatFixed(l.px, inst.priceDecimals)},"qty":${formatFixed(l.sz, inst.sizeDecimals)}}`).join(',');
  }

  private bookFrame(
    type: 'snapshot' | 'update',
    inst: Instrument,
    bids: readonly { px: number; sz: number }[],
    asks: readonly { px: number; sz: number }[],
    market: SyntheticMarket,
    corrupt: boolean,
  ): string {
    const str = (l: Level): [string, string] => [formatFixed(l.px, inst.priceDecimals), formatFixed(l.sz, inst.sizeDecimals)];
    let checksum = krakenChecksum(market.book.top('bid', 10).map(str), market.book.top('ask', 10).map(str));
    if (corrupt) checksum = (checksum ^ 0x5a5a) >>> 0;
    const ts = type === 'update' ? `,"timestamp":"${new Date().toISOString()}"` : '';
    return `{"channel":"book","type":"${type}","data":[{"symbol":"${this.native(inst)}","bids":[${this.levels(inst, bids)}],"asks":[${this.levels(inst, asks)}],"checksum":${checksum}${ts}}]}`;
  }

  protected serverCloseNotice(conn: SimConnection): void {
    conn.send(
      JSON.stringify({
        channel: 'status',
        type: 'update',
        data: [{ version: '2.0.10', system: 'maintenance', api_version: 'v2', connection_id: conn.id }],
      }),
    );
    conn.close(1001, 'maintenance');
  }

  publish(symbol: string, event: MarketEvent, market: SyntheticMarket): void {
    const inst = market.instrument;
    const native = this.native(inst);
    if (event.trade) {
      const t = event.trade;
      this.deps.truth.trade(this.name, symbol, t.id);
      this.broadcast(
        `trade|${symbol}`,
        symbol,
        'trade',
        () =>
          `{"channel":"trade","type":"update","data":[{"symbol":"${native}","side":"${t.side}","price":${formatFixed(t.px, inst.priceDecimals)},"qty":${formatFixed(t.sz, inst.sizeDecimals)},"ord_type":"market","trade_id":${t.id},"timestamp":"${new Date().toISOString()}"}]}`,
      );
      this.broadcast(`ticker|${symbol}`, symbol, 'ticker', () => {
        const b = market.book.best('bid');
        const a = market.book.best('ask');
        const p = (v: number) => formatFixed(v, inst.priceDecimals);
        return `{"channel":"ticker","type":"update","data":[{"symbol":"${native}","bid":${p(b?.px ?? 0)},"bid_qty":${formatFixed(b?.sz ?? 0, inst.sizeDecimals)},"ask":${p(a?.px ?? 0)},"ask_qty":${formatFixed(a?.sz ?? 0, inst.sizeDecimals)},"last":${p(t.px)},"volume":${formatFixed(market.volume, inst.sizeDecimals)},"low":${p(market.low)},"high":${p(market.high)},"change":${p(t.px - market.openPx)}}]}`;
      });
    }
    if (!event.changes.length) return;
    const gap = this.skipForGap(symbol, event);
    for (const depth of DEPTHS) {
      const key = `book|${symbol}|${depth}`;
      if (!this.views.has(key)) continue;
      if (!this.subscribers(key)) {
        this.views.stop(key);
        continue;
      }
      const changes = this.views.changes(key, market.book, depth, event.changes);
      if (gap || changes.length === 0) continue;
      const corrupt = this.corruptChecksum(symbol);
      const side = (s: 'bid' | 'ask') => changes.filter((c: LevelChange) => c.side === s);
      this.broadcast(key, symbol, 'book_update', () => this.bookFrame('update', inst, side('bid'), side('ask'), market, corrupt));
    }
  }

  override tick(now: number): void {
    super.tick(now);
    this.broadcast('heartbeat', '(all)', 'heartbeat', () => '{"channel":"heartbeat"}');
  }
}
