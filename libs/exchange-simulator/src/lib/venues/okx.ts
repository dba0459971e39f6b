import { formatTrimmed, type Level, type LevelChange, okxChecksum } from '@cryptoscalp/market';

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';

import type { Instrument } from '../market/instrument';
import type { MarketEvent, SimTrade, SyntheticMarket } from '../market/market';
import { BaseVenue } from './base-venue';
import { DepthViews, PushScheduler } from './depth-views';
import { OKX_DEFAULTS, type OkxOptions, okxSeqId } from './okx-options';
import type { SimConnection } from './sim-connection';
import { sendJson, type VenueDeps } from './venue';

const BOOK_DEPTH = 400;
const CHANNELS = ['books', 'books5', 'bbo-tbt', 'trades', 'tickers'];
/** Channels that need a login (VIP tiers) on the real venue. */
const LOGIN_CHANNELS = ['books-l2-tbt', 'books50-l2-tbt'];
/** Push cadence in the realistic profile (OKX docs: books/books5/tickers 100 ms, bbo-tbt 10 ms; trades as they happen). */
const CADENCE_MS: Record<string, number> = { books: 100, books5: 100, tickers: 100, 'bbo-tbt': 10, trades: 0 };

/**
 * OKX v5 public: `op: subscribe` with event acks and errors (60011, 60012, 60014, 60018); `books`
 * (400 levels) snapshot/update with non-contiguous `seqId`/`prevSeqId`, `checksum` 0 (deprecated in
 * June 2026; a real CRC32 as an option), keepalive updates and sequence resets; `books5`, `bbo-tbt`,
 * batched `trades`, `tickers`; numbers without trailing zeros; text ping/pong; connections to which
 * nothing was pushed for 30 s are closed (4004); 3 new connections per second per IP and 480
 * subscribe requests per hour per connection; the 64008 notice before a service-upgrade close; REST
 * `/api/v5/market/books` (with `seqId` when the snapshot comes from REST) and `/api/v5/public/instruments`.
 */
export class OkxVenue extends BaseVenue {
  readonly name = 'okx' as const;
  private readonly views = new DepthViews();
  private readonly pushes = new PushScheduler();
  private readonly okx: OkxOptions;
  /** Per symbol: `seqId` of the last books push (sent or skipped), the offset of the id space, when it was pushed. */
  private readonly lastSeqId = new Map<string, number>();
  private readonly seqOffset = new Map<string, number>();
  private readonly lastBookPush = new Map<string, number>();
  private readonly batchSeq = new Map<string, [number, number]>();
  private readonly pendingTrades = new Map<string, SimTrade[]>();
  /** Last books5 / bbo-tbt content pushed per symbol (they push only on change). */
  private readonly lastTop = new Map<string, string>();
  private readonly connectsByIp = new Map<string, number[]>();

  constructor(deps: VenueDeps) {
    super(deps);
    this.okx = { ...OKX_DEFAULTS, ...deps.options.okx };
  }

  private get perEvent(): boolean {
    return this.deps.options.profile === 'per-event';
  }

  private seqIdOf(symbol: string, seq: number): number {
    return okxSeqId(this.seqOffset.get(symbol) ?? 1_000_000, seq);
  }

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
          tickSz: formatTrimmed(1, i.priceDecimals),
          lotSz: formatTrimmed(1, i.sizeDecimals),
          minSz: formatTrimmed(1, i.sizeDecimals),
          state: 'live',
        })),
      });
      return true;
    }
    if (url.pathname !== '/api/v5/market/books') return false;
    const inst = this.instrumentOf(url.searchParams.get('instId') ?? '');
    if (!inst) return (sendJson(res, 200, { code: '51001', msg: "Instrument ID doesn't exist.", data: [] }), true);
    const sz = Math.min(BOOK_DEPTH, Number(url.searchParams.get('sz') ?? 1) || 1);
    const fmt = this.fmt(inst);
    this.serveSnapshot(
      res,
      inst,
      () => ({ code: '50011', msg: 'Too Many Requests', data: [] }),
      (m) => {
        const ts = String(Date.now());
        const book = { asks: m.book.top('ask', sz).map(fmt), bids: m.book.top('bid', sz).map(fmt), ts };
        if (this.okx.booksSnapshot !== 'rest') return { code: '0', msg: '', data: [book] };
        // The snapshot continues the WebSocket chain: the next update has prevSeqId == this seqId.
        return { code: '0', msg: '', data: [{ ...book, seqId: this.bookSeqIdNow(inst.symbol, m) }] };
      },
    );
    return true;
  }

  /** The seqId a snapshot taken now carries: pending changes are pushed first, so it is the last push's id. */
  private bookSeqIdNow(symbol: string, market: SyntheticMarket): number {
    const key = `books|${symbol}`;
    this.pushes.flushNow(key);
    if (!this.views.has(key) || !this.lastSeqId.has(symbol)) this.lastSeqId.set(symbol, this.seqIdOf(symbol, market.seq));
    return this.lastSeqId.get(symbol) as number;
  }

  private fmt(inst: Instrument): (l: Level) => [string, string, string, string] {
    return (l) => [formatTrimmed(l.px, inst.priceDecimals), formatTrimmed(l.sz, inst.sizeDecimals), '0', '1'];
  }

  /** 3 new connections per second per IP (OKX docs: WebSocket connection limit). */
  override accept(ws: WebSocket, req: IncomingMessage, connectionId: number): void {
    const ip = req.socket.remoteAddress ?? '';
    const now = Date.now();
    const recent = (this.connectsByIp.get(ip) ?? []).filter((t) => now - t < 1000);
    if (recent.length >= this.okx.connectionsPerSecond) {
      this.connectsByIp.set(ip, recent);
      ws.send(JSON.stringify({ event: 'error', code: '60014', msg: 'Requests too frequent.', connId: String(connectionId) }));
      ws.close(1008, 'Requests too frequent.');
      return;
    }
    recent.push(now);
    this.connectsByIp.set(ip, recent);
    super.accept(ws, req, connectionId);
  }

  private error(conn: SimConnection, code: string, msg: string): void {
    conn.send(JSON.stringify({ event: 'error', code, msg, connId: String(conn.id) }));
  }

  protected onMessage(conn: SimConnection, text: string): void {
    if (text === 'ping') return void conn.send('pong');
    const msg = this.parse(text);
    if (!msg) return this.error(conn, '60012', `Invalid request: ${text.slice(0, 60)}`);
    const op = msg['op'];
    if (op !== 'subscribe' && op !== 'unsubscribe') return this.error(conn, '60012', `Invalid request: op ${String(op)}`);
    // 480 subscribe/unsubscribe requests per hour per connection (OKX docs: WebSocket rate limits).
    const now = Date.now();
    const window = (conn.state.get('okxOps') as { from: number; n: number } | undefined) ?? { from: now, n: 0 };
    if (now - window.from >= 3_600_000) Object.assign(window, { from: now, n: 0 });
    conn.state.set('okxOps', window);
    if (++window.n > this.okx.subscribeRequestsPerHour) return this.error(conn, '60014', 'Requests too frequent.');
    for (const raw of Array.isArray(msg['args']) ? (msg['args'] as { channel?: string; instId?: string }[]) : []) {
      const arg = { channel: String(raw.channel), instId: String(raw.instId) };
      const inst = this.instrumentOf(arg.instId);
      if (LOGIN_CHANNELS.includes(arg.channel)) {
        this.error(conn, '60011', 'Please log in');
        continue;
      }
      if (!CHANNELS.includes(arg.channel) || !inst) {
        this.error(conn, '60018', `Wrong URL or channel:${arg.channel},instId:${arg.instId} doesn't exist.`);
        continue;
      }
      const key = `${arg.channel}|${inst.symbol}`;
      if (op === 'unsubscribe') {
        this.unsubscribe(conn, key);
        conn.send(JSON.stringify({ event: 'unsubscribe', arg, connId: String(conn.id) }));
        continue;
      }
      if (this.deps.faults.take('refuse_subscribe', { venue: this.name, symbol: inst.symbol, connection: conn.id })) {
        this.error(conn, '60014', 'Requests too frequent.');
        continue;
      }
      // A new subscriber's snapshot must line up with the next push: push what is pending first.
      this.pushes.flushNow(key);
      this.subscribe(conn, key);
      conn.send(JSON.stringify({ event: 'subscribe', arg, connId: String(conn.id) }));
      const market = this.deps.markets.get(inst.symbol) as SyntheticMarket;
      if (arg.channel === 'books') this.startBooks(conn, inst, market);
      else if (arg.channel === 'books5') this.unicast(conn, this.books5Frame(inst, market), inst.symbol, 'books5');
    }
  }

  private startBooks(conn: SimConnection, inst: Instrument, market: SyntheticMarket): void {
    const key = `books|${inst.symbol}`;
    if (!this.views.has(key)) {
      this.views.start(key, market.book, BOOK_DEPTH);
      this.lastSeqId.set(inst.symbol, this.seqIdOf(inst.symbol, market.seq));
      this.lastBookPush.set(key, Date.now());
    }
    if (this.okx.booksSnapshot === 'rest') return;
    const seqId = this.lastSeqId.get(inst.symbol) as number;
    const frame = this.booksFrame(
      'snapshot',
      inst,
      market.book.top('bid', BOOK_DEPTH),
      market.book.top('ask', BOOK_DEPTH),
      market,
      -1,
      seqId,
      false,
    );
    this.unicast(conn, frame, inst.symbol, 'books_snapshot');
  }

  private booksFrame(
    action: 'snapshot' | 'update',
    inst: Instrument,
    bids: readonly Level[],
    asks: readonly Level[],
    market: SyntheticMarket,
    prevSeqId: number,
    seqId: number,
    corrupt: boolean,
  ): string {
    const fmt = this.fmt(inst);
    let checksum = 0;
    if (this.okx.checksum === 'crc32') {
      const str = (l: Level): [string, string] => [formatTrimmed(l.px, inst.priceDecimals), formatTrimmed(l.sz, inst.sizeDecimals)];
      checksum = okxChecksum(market.book.top('bid', 25).map(str), market.book.top('ask', 25).map(str));
    }
    if (corrupt) checksum = checksum ^ 0x5a5a;
    return JSON.stringify({
      arg: { channel: 'books', instId: this.native(inst) },
      action,
      data: [{ asks: asks.map(fmt), bids: bids.map(fmt), ts: String(Date.now()), checksum, prevSeqId, seqId }],
    });
  }

  private books5Frame(inst: Instrument, market: SyntheticMarket): string {
    const fmt = this.fmt(inst);
    const instId = this.native(inst);
    return JSON.stringify({
      arg: { channel: 'books5', instId },
      data: [
        {
          asks: market.book.top('ask', 5).map(fmt),
          bids: market.book.top('bid', 5).map(fmt),
          instId,
          ts: String(Date.now()),
          seqId: this.seqIdOf(inst.symbol, market.seq),
        },
      ],
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
      // Closed when nothing was pushed to it for 30 s (OKX docs), whatever the client sent.
      if (conn.state.get('pushedCount') !== conn.sent) {
        conn.state.set('pushedCount', conn.sent);
        conn.state.set('pushedAt', now);
      } else if (now - ((conn.state.get('pushedAt') as number | undefined) ?? conn.openedAt) >= this.deps.options.idleTimeoutMs) {
        conn.close(4004, 'No data received in 30s.');
        this.forget(conn);
      }
    }
    this.keepalives(now);
  }

  /** books: an update without levels and `seqId == prevSeqId` when the book did not change for a while. */
  private keepalives(now: number): void {
    for (const [key, at] of this.lastBookPush) {
      if (now - at < this.okx.booksKeepaliveMs || !this.subscribers(key)) continue;
      const symbol = key.slice('books|'.length);
      const market = this.deps.markets.get(symbol) as SyntheticMarket;
      const seqId = this.lastSeqId.get(symbol) as number;
      this.lastBookPush.set(key, now);
      this.broadcast(key, symbol, 'books_keepalive', () =>
        this.booksFrame('update', market.instrument, [], [], market, seqId, seqId, false),
      );
    }
  }

  protected override ping(): void {
    /* OKX does not ping; clients send "ping" and the server closes idle connections. */
  }

  private push(key: string, channel: string, flush: () => void): void {
    if (this.perEvent) flush();
    else this.pushes.schedule(key, CADENCE_MS[channel] ?? 0, flush);
  }

  publish(symbol: string, event: MarketEvent, market: SyntheticMarket): void {
    const inst = market.instrument;
    if (event.trade) this.onTrade(symbol, event.trade, inst, market);
    if (!event.changes.length) return;
    const key = `books|${symbol}`;
    if (this.views.has(key)) {
      if (!this.subscribers(key)) {
        this.views.stop(key);
        this.pushes.cancel(key);
        this.batchSeq.delete(key);
        this.lastBookPush.delete(key);
      } else {
        this.views.add(key, event.changes);
        const range = this.batchSeq.get(key);
        this.batchSeq.set(key, [range?.[0] ?? event.seq, event.seq]);
        this.push(key, 'books', () => this.flushBooks(symbol, market));
      }
    }
    for (const [channel, depth] of [
      ['books5', 5],
      ['bbo-tbt', 1],
    ] as const) {
      const k = `${channel}|${symbol}`;
      if (this.subscribers(k)) this.push(k, channel, () => this.flushTop(channel, depth, inst, market));
    }
  }

  private onTrade(symbol: string, trade: SimTrade, inst: Instrument, market: SyntheticMarket): void {
    this.deps.truth.trade(this.name, symbol, trade.id);
    const instId = this.native(inst);
    const tradesKey = `trades|${symbol}`;
    if (this.subscribers(tradesKey)) {
      let pending = this.pendingTrades.get(symbol);
      if (!pending) this.pendingTrades.set(symbol, (pending = []));
      pending.push(trade);
      this.push(tradesKey, 'trades', () => {
        const batch = this.pendingTrades.get(symbol) ?? [];
        this.pendingTrades.delete(symbol);
        if (!batch.length) return;
        const ts = String(Date.now());
        const data = batch.map((t) => ({
          instId,
          tradeId: String(t.id),
          px: formatTrimmed(t.px, inst.priceDecimals),
          sz: formatTrimmed(t.sz, inst.sizeDecimals),
          side: t.side,
          ts,
          count: '1',
        }));
        if (this.broadcast(tradesKey, symbol, 'trades', () => JSON.stringify({ arg: { channel: 'trades', instId }, data })))
          this.tradesWentOut(
            symbol,
            batch.map((t) => t.id),
          );
      });
    }
    const tickersKey = `tickers|${symbol}`;
    if (this.subscribers(tickersKey)) this.push(tickersKey, 'tickers', () => this.flushTicker(inst, market));
  }

  private flushTicker(inst: Instrument, market: SyntheticMarket): void {
    const instId = this.native(inst);
    const px = (v: number) => formatTrimmed(v, inst.priceDecimals);
    const sz = (v: number) => formatTrimmed(v, inst.sizeDecimals);
    const b = market.book.best('bid');
    const a = market.book.best('ask');
    this.broadcast(`tickers|${inst.symbol}`, inst.symbol, 'tickers', () =>
      JSON.stringify({
        arg: { channel: 'tickers', instId },
        data: [
          {
            instType: 'SPOT',
            instId,
            last: px(market.lastPx),
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
      }),
    );
  }

  /** books5 / bbo-tbt: the top levels as a snapshot, pushed only when they changed. */
  private flushTop(channel: 'books5' | 'bbo-tbt', depth: number, inst: Instrument, market: SyntheticMarket): void {
    const key = `${channel}|${inst.symbol}`;
    const fmt = this.fmt(inst);
    const asks = market.book.top('ask', depth).map(fmt);
    const bids = market.book.top('bid', depth).map(fmt);
    const content = JSON.stringify([asks, bids]);
    if (this.lastTop.get(key) === content) return;
    this.lastTop.set(key, content);
    if (channel === 'books5') return void this.broadcast(key, inst.symbol, 'books5', () => this.books5Frame(inst, market));
    this.broadcast(key, inst.symbol, 'bbo-tbt', () =>
      JSON.stringify({
        arg: { channel: 'bbo-tbt', instId: this.native(inst) },
        data: [{ asks, bids, ts: String(Date.now()), seqId: this.seqIdOf(inst.symbol, market.seq) }],
      }),
    );
  }

  private flushBooks(symbol: string, market: SyntheticMarket): void {
    const key = `books|${symbol}`;
    const range = this.batchSeq.get(key);
    this.batchSeq.delete(key);
    if (!this.subscribers(key)) return;
    const changes = this.views.take(key, market.book, BOOK_DEPTH);
    if (!range || changes.length === 0) return;
    const prev = this.lastSeqId.get(symbol) ?? -1;
    const f = this.deps.faults;
    // book_reset: the sequence restarts lower (maintenance), this update has seqId < prevSeqId.
    if (f.any('book_reset', this.name) && f.take('book_reset', { venue: this.name, symbol }))
      this.seqOffset.set(symbol, 1000 - okxSeqId(0, market.seq));
    const seqId = this.seqIdOf(symbol, market.seq);
    this.lastSeqId.set(symbol, seqId);
    if (f.any('gap', this.name) && f.take('gap', { venue: this.name, symbol })) {
      this.deps.truth.skipped(this.name, symbol, range[0], range[1]);
      return;
    }
    this.deps.truth.seq(this.name, symbol, range[1]);
    this.lastBookPush.set(key, Date.now());
    const corrupt = this.corruptChecksum(symbol);
    const side = (s: 'bid' | 'ask') => changes.filter((c: LevelChange) => c.side === s);
    this.broadcast(key, symbol, 'books_update', () =>
      this.booksFrame('update', market.instrument, side('bid'), side('ask'), market, prev, seqId, corrupt),
    );
  }

  override close(): void {
    this.pushes.clear();
    super.close();
  }
}
