import { formatFixed, type Level, type LevelChange, okxChecksum } from '@cryptoscalp/market';

import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Instrument } from '../market/instrument';
import type { MarketEvent, SyntheticMarket } from '../market/market';
import { BaseVenue } from './base-venue';
import { DepthViews } from './depth-views';
import type { SimConnection } from './sim-connection';
import { sendJson } from './venue';

const BOOK_DEPTH = 400;
const CHANNELS = ['books', 'bbo-tbt', 'trades', 'tickers'];

/**
 * OKX v5 public: `op: subscribe` with event acks, `books` snapshot/update with `seqId`/
 * `prevSeqId` and the CRC32 `checksum`, `bbo-tbt`, `trades`, `tickers`, text ping/pong, the
 * 30 s idle disconnect and the 64008 maintenance notice; REST `/api/v5/market/books` and
 * `/api/v5/public/instruments`.
 */
export class OkxVenue extends BaseVenue {
  readonly name = 'okx' as const;
  private readonly views = new DepthViews();
  /** Last seqId generated per instrument (prevSeqId of the next update, even if that one was skipped). */
  private readonly lastSeq = new Map<string, number>();

  handleHttp(_req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (url.pathname === '/api/v5/public/instruments') {
      sendJson(res, 200, {
        code: '0',
        msg: '',
        data: this.deps.instruments.map((i) => ({
          instType: 'SPOT',
          instId: this.native(i),
          baseCcy: i.base,
          quoteCcy: i.quote,
          tickSz: formatFixed(1, i.priceDecimals),
          lotSz: formatFixed(1, i.sizeDecimals),
          state: 'live',
        })),
      });
      return true;
    }
    if (url.pathname !== '/api/v5/market/books') return false;
    const inst = this.instrumentOf(url.searchParams.get('instId') ?? '');
    if (!inst) return (sendJson(res, 200, { code: '51001', msg: "Instrument ID doesn't exist.", data: [] }), true);
    const sz = Math.min(400, Number(url.searchParams.get('sz') ?? 1) || 1);
    const fmt = this.fmt(inst);
    this.serveSnapshot(
      res,
      inst,
      () => ({ code: '50011', msg: 'Too Many Requests', data: [] }),
      (m) => ({
        code: '0',
        msg: '',
        data: [{ asks: m.book.top('ask', sz).map(fmt), bids: m.book.top('bid', sz).map(fmt), ts: String(Date.now()) }],
      }),
    );
    return true;
  }

  private fmt(inst: Instrument): (l: Level) => [string, string, string, string] {
    return (l) => [formatFixed(l.px, inst.priceDecimals), formatFixed(l.sz, inst.sizeDecimals), '0', '1'];
  }

  protected onMessage(conn: SimConnection, text: string): void {
    if (text === 'ping') return void conn.send('pong');
    const msg = this.parse(text);
    if (!msg)
      return void conn.send(
        JSON.stringify({ event: 'error', code: '60012', msg: `Invalid request: ${text.slice(0, 60)}`, connId: String(conn.id) }),
      );
    const op = msg['op'];
    if (op !== 'subscribe' && op !== 'unsubscribe')
      return void conn.send(
        JSON.stringify({ event: 'error', code: '60012', msg: `Invalid request: op ${String(op)}`, connId: String(conn.id) }),
      );
    for (const raw of Array.isArray(msg['args']) ? (msg['args'] as { channel?: string; instId?: string }[]) : []) {
      const arg = { channel: String(raw.channel), instId: String(raw.instId) };
      const inst = this.instrumentOf(arg.instId);
      if (!CHANNELS.includes(arg.channel) || !inst) {
        conn.send(
          JSON.stringify({
            event: 'error',
            code: '60018',
            msg: `Wrong URL or channel:${arg.channel},instId:${arg.instId} doesn't exist.`,
            connId: String(conn.id),
          }),
        );
        continue;
      }
      const key = `${arg.channel}|${inst.symbol}`;
      if (op === 'unsubscribe') {
        this.unsubscribe(conn, key);
        conn.send(JSON.stringify({ event: 'unsubscribe', arg, connId: String(conn.id) }));
        continue;
      }
      if (this.deps.faults.take('refuse_subscribe', { venue: this.name, symbol: inst.symbol, connection: conn.id })) {
        conn.send(JSON.stringify({ event: 'error', code: '60014', msg: 'Requests too frequent.', connId: String(conn.id) }));
        continue;
      }
      this.subscribe(conn, key);
      conn.send(JSON.stringify({ event: 'subscribe', arg, connId: String(conn.id) }));
      if (arg.channel === 'books') {
        const market = this.deps.markets.get(inst.symbol) as SyntheticMarket;
        this.views.start(key, market.book, BOOK_DEPTH);
        this.unicast(
          conn,
          this.bookFrame('snapshot', inst, market.book.top('bid', BOOK_DEPTH), market.book.top('ask', BOOK_DEPTH), market, -1, false),
          inst.symbol,
          'books_snapshot',
        );
      }
    }
  }

  private bookFrame(
    action: 'snapshot' | 'update',
    inst: Instrument,
    bids: readonly Level[],
    asks: readonly Level[],
    market: SyntheticMarket,
    prevSeqId: number,
    corrupt: boolean,
  ): string {
    const fmt = this.fmt(inst);
    const str = (l: Level): [string, string] => [formatFixed(l.px, inst.priceDecimals), formatFixed(l.sz, inst.sizeDecimals)];
    let checksum = okxChecksum(market.book.top('bid', 25).map(str), market.book.top('ask', 25).map(str));
    if (corrupt) checksum = checksum ^ 0x5a5a;
    const seqId = market.seq;
    this.lastSeq.set(inst.symbol, seqId);
    return JSON.stringify({
      arg: { channel: 'books', instId: this.native(inst) },
      action,
      data: [{ asks: asks.map(fmt), bids: bids.map(fmt), ts: String(Date.now()), checksum, seqId, prevSeqId }],
    });
  }

  protected serverCloseNotice(conn: SimConnection): void {
    conn.send(
      JSON.stringify({
        event: 'notice',
        code: '64008',
        msg: 'The connection will soon be closed for a service upgrade. Please reconnect.',
        connId: String(conn.id),
      }),
    );
    conn.close(1001, 'service upgrade');
  }

  override tick(now: number): void {
    super.tick(now);
    for (const conn of [...this.conns.values()]) {
      if (now - conn.lastReceived >= this.deps.options.idleTimeoutMs) {
        conn.close(4004, 'No data received in 30s.');
        this.forget(conn);
      }
    }
  }

  protected override ping(): void {
    /* OKX does not ping; clients send "ping" and the server closes idle connections. */
  }

  publish(symbol: string, event: MarketEvent, market: SyntheticMarket): void {
    const inst = market.instrument;
    const instId = this.native(inst);
    const px = (v: number) => formatFixed(v, inst.priceDecimals);
    const sz = (v: number) => formatFixed(v, inst.sizeDecimals);
    if (event.trade) {
      const t = event.trade;
      this.deps.truth.trade(this.name, symbol, t.id);
      this.broadcast(`trades|${symbol}`, symbol, 'trades', () =>
        JSON.stringify({
          arg: { channel: 'trades', instId },
          data: [{ instId, tradeId: String(t.id), px: px(t.px), sz: sz(t.sz), side: t.side, ts: String(Date.now()), count: '1' }],
        }),
      );
      this.broadcast(`tickers|${symbol}`, symbol, 'tickers', () => {
        const b = market.book.best('bid');
        const a = market.book.best('ask');
        return JSON.stringify({
          arg: { channel: 'tickers', instId },
          data: [
            {
              instType: 'SPOT',
              instId,
              last: px(t.px),
              lastSz: sz(t.sz),
              askPx: px(a?.px ?? 0),
              askSz: sz(a?.sz ?? 0),
              bidPx: px(b?.px ?? 0),
              bidSz: sz(b?.sz ?? 0),
              open24h: px(market.openPx),
              high24h: px(market.high),
              low24h: px(market.low),
              vol24h: sz(market.volume),
              ts: String(Date.now()),
            },
          ],
        });
      });
    }
    if (!event.changes.length) return;
    const key = `books|${symbol}`;
    const gap = this.skipForGap(symbol, event);
    if (this.views.has(key)) {
      if (!this.subscribers(key)) this.views.stop(key);
      else {
        const changes = this.views.changes(key, market.book, BOOK_DEPTH, event.changes);
        const prev = this.lastSeq.get(symbol) ?? -1;
        if (gap) this.lastSeq.set(symbol, market.seq);
        else if (changes.length) {
          const corrupt = this.corruptChecksum(symbol);
          const side = (s: 'bid' | 'ask') => changes.filter((c: LevelChange) => c.side === s);
          this.broadcast(key, symbol, 'books_update', () =>
            this.bookFrame('update', inst, side('bid'), side('ask'), market, prev, corrupt),
          );
        }
      }
    }
    if (this.touchesTop(event, market)) {
      const b = market.book.best('bid');
      const a = market.book.best('ask');
      if (b && a) {
        this.broadcast(`bbo-tbt|${symbol}`, symbol, 'bbo-tbt', () =>
          JSON.stringify({
            arg: { channel: 'bbo-tbt', instId },
            data: [
              { asks: [[px(a.px), sz(a.sz), '0', '1']], bids: [[px(b.px), sz(b.sz), '0', '1']], ts: String(Date.now()), seqId: market.seq },
            ],
          }),
        );
      }
    }
  }
}
