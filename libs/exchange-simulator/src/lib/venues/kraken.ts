import { formatFixed, krakenChecksum, type Level, type LevelChange } from '@cryptoscalp/market';

import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Instrument } from '../market/instrument';
import type { MarketEvent, SimTrade, SyntheticMarket } from '../market/market';
import { BaseVenue } from './base-venue';
import { DepthViews, PushScheduler } from './depth-views';
import { assetPairEntry, findKrakenPair, instrumentPair, krakenPairNames } from './kraken-names';
import type { SimConnection } from './sim-connection';
import { sendJson, type VenueDeps } from './venue';

const DEPTHS = [10, 25, 100, 500, 1000];
/** The trade snapshot holds the most recent 50 trades (docs: WebSocket v2 trade). */
const TRADE_SNAPSHOT = 50;
/** Heartbeats come after about a second without other data (docs: WebSocket v2 heartbeat). */
const HEARTBEAT_MS = 1000;

interface TradeRecord {
  trade: SimTrade;
  ts: string;
}

/**
 * Kraken WebSocket v2: `subscribe` with per-symbol `req_id` acks; `book` snapshot/update with a
 * `timestamp` and the CRC32 `checksum` of the top 10 (prices and quantities as JSON numbers with
 * their trailing zeros), levels that fall out of the subscribed depth NOT announced (the client
 * truncates, per the "Book checksum (v2)" guide); `trade` and `ticker` with snapshots;
 * `instrument`; automatic `heartbeat` after a second of silence; `status`, ping/pong; REST
 * `/0/public/Depth` and `/0/public/AssetPairs` with Kraken's own names (`XXBTZUSD`, `XBT/USDT`).
 * Realistic profile: the changes of one event-loop turn leave in one message per view.
 */
export class KrakenVenue extends BaseVenue {
  readonly name = 'kraken' as const;
  private readonly views = new DepthViews();
  private readonly pushes = new PushScheduler();
  /** Most recent trades per symbol (trade snapshot), trades waiting for the next push, vwap sums. */
  private readonly recent = new Map<string, TradeRecord[]>();
  private readonly pendingTrades = new Map<string, TradeRecord[]>();
  private readonly turnover = new Map<string, number>();
  /** Book sequence range (first, last) of the events waiting in each book view. */
  private readonly batchSeq = new Map<string, [number, number]>();
  private readonly heartbeats: NodeJS.Timeout;

  constructor(deps: VenueDeps) {
    super(deps);
    this.heartbeats = setInterval(() => this.heartbeat(Date.now()), HEARTBEAT_MS / 4);
    this.heartbeats.unref();
  }

  private get perEvent(): boolean {
    return this.deps.options.profile === 'per-event';
  }

  handleHttp(_req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (url.pathname === '/0/public/AssetPairs') {
      const wanted = url.searchParams.get('pair')?.split(',').filter(Boolean);
      const insts = wanted ? wanted.map((p) => findKrakenPair(this.deps.instruments, p)) : this.deps.instruments;
      if (insts.some((i) => !i)) return (sendJson(res, 200, { error: ['EQuery:Unknown asset pair'] }), true);
      const result = Object.fromEntries((insts as Instrument[]).map((i) => [krakenPairNames(i).key, assetPairEntry(i)]));
      sendJson(res, 200, { error: [], result });
      return true;
    }
    if (url.pathname !== '/0/public/Depth') return false;
    const inst = findKrakenPair(this.deps.instruments, url.searchParams.get('pair') ?? '');
    if (!inst) return (sendJson(res, 200, { error: ['EQuery:Unknown asset pair'] }), true);
    const count = Math.min(500, Number(url.searchParams.get('count') ?? 100) || 100);
    this.serveSnapshot(
      res,
      inst,
      () => ({ error: ['EGeneral:Too many requests'] }),
      (m) => {
        const ts = Math.floor(Date.now() / 1000);
        const fmt = (l: Level) => [formatFixed(l.px, inst.priceDecimals), formatFixed(l.sz, inst.sizeDecimals), ts];
        // Keyed by the canonical pair name whatever name the client asked with.
        const key = krakenPairNames(inst).key;
        return { error: [], result: { [key]: { asks: m.book.top('ask', count).map(fmt), bids: m.book.top('bid', count).map(fmt) } } };
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
    result?: Record<string, unknown>,
    error?: string,
    symbol?: string,
  ): void {
    const now = new Date().toISOString();
    const id = reqId !== undefined ? { req_id: reqId } : {};
    conn.send(
      JSON.stringify(
        error
          ? { method, error, success: false, ...(symbol ? { symbol } : {}), time_in: now, time_out: now, ...id }
          : { method, result, success: true, time_in: now, time_out: now, ...id },
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
    const params = (msg['params'] ?? {}) as {
      channel?: string;
      symbol?: unknown;
      depth?: number;
      snapshot?: boolean;
      event_trigger?: string;
    };
    const channel = params.channel ?? '';
    const snapshot = params.snapshot !== false;
    if (!['book', 'trade', 'ticker', 'instrument', 'heartbeat'].includes(channel))
      return this.ack(conn, method, reqId, undefined, `EGeneral:Invalid arguments:channel ${channel}`);
    if (channel === 'heartbeat' || channel === 'instrument') return this.global(conn, method, reqId, channel, snapshot);
    const depth = params.depth ?? 10;
    if (channel === 'book' && !DEPTHS.includes(depth))
      return this.ack(conn, method, reqId, undefined, `EGeneral:Invalid arguments:depth ${depth}`);
    const trigger = params.event_trigger ?? 'trades';
    if (channel === 'ticker' && trigger !== 'trades' && trigger !== 'bbo')
      return this.ack(conn, method, reqId, undefined, `EGeneral:Invalid arguments:event_trigger ${trigger}`);
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
      const key =
        channel === 'book'
          ? `book|${inst.symbol}|${depth}`
          : channel === 'ticker'
            ? `ticker|${inst.symbol}|${trigger}`
            : `trade|${inst.symbol}`;
      const extra = channel === 'book' ? { depth } : channel === 'ticker' && trigger === 'bbo' ? { event_trigger: trigger } : {};
      if (method === 'unsubscribe') {
        this.unsubscribe(conn, key);
        this.ack(conn, method, reqId, { channel, symbol: s, ...extra });
        continue;
      }
      // A new subscriber's snapshot must line up with the next update: push what is pending first.
      this.pushes.flushNow(key);
      this.subscribe(conn, key);
      this.ack(conn, method, reqId, { channel, symbol: s, ...extra, snapshot });
      const market = this.deps.markets.get(inst.symbol) as SyntheticMarket;
      if (channel === 'book') {
        this.views.start(key, market.book, depth);
        if (snapshot)
          this.unicast(
            conn,
            this.bookFrame('snapshot', inst, market.book.top('bid', depth), market.book.top('ask', depth), market, false),
            inst.symbol,
            'book_snapshot',
          );
      } else if (snapshot && channel === 'trade') {
        const recent = this.recent.get(inst.symbol) ?? [];
        this.unicast(conn, this.tradeFrame('snapshot', inst, recent), inst.symbol, 'trade_snapshot');
        this.tradesReplayedOut(
          inst.symbol,
          recent.map((r) => r.trade.id),
        );
      } else if (snapshot) this.unicast(conn, this.tickerFrame('snapshot', inst, market), inst.symbol, 'ticker_snapshot');
    }
  }

  /** Channels without symbols: `instrument` (reference data), `heartbeat` (accepted; beats come anyway). */
  private global(conn: SimConnection, method: string, reqId: unknown, channel: string, snapshot: boolean): void {
    if (method === 'unsubscribe') {
      this.unsubscribe(conn, channel);
      return this.ack(conn, method, reqId, { channel });
    }
    this.subscribe(conn, channel);
    if (channel === 'heartbeat') return this.ack(conn, method, reqId, { channel });
    this.ack(conn, method, reqId, { channel, snapshot, warnings: ['tick_size is deprecated, use price_increment'] });
    if (!snapshot) return;
    const assets = [...new Set(this.deps.instruments.flatMap((i) => [i.base, i.quote]))].map((id) => ({
      id,
      status: 'enabled',
      precision: 10,
      precision_display: 5,
      borrowable: false,
      collateral_value: 0,
      margin_rate: 0,
    }));
    const pairs = this.deps.instruments.map((i) => instrumentPair(i, this.native(i)));
    this.unicast(
      conn,
      JSON.stringify({ channel: 'instrument', type: 'snapshot', data: { assets, pairs } }),
      '(all)',
      'instrument_snapshot',
    );
  }

  private num(v: number, decimals: number): string {
    return formatFixed(v, decimals);
  }

  /** Level objects with price/qty as JSON numbers keeping the instrument's decimals. */
  private levels(inst: Instrument, levels: readonly { px: number; sz: number }[]): string {
    return levels.map((l) => `{"price":${this.num(l.px, inst.priceDecimals)},"qty":${this.num(l.sz, inst.sizeDecimals)}}`).join(',');
  }

  private bookFrame(
    type: 'snapshot' | 'update',
    inst: Instrument,
    bids: readonly { px: number; sz: number }[],
    asks: readonly { px: number; sz: number }[],
    market: SyntheticMarket,
    corrupt: boolean,
  ): string {
    const str = (l: Level): [string, string] => [this.num(l.px, inst.priceDecimals), this.num(l.sz, inst.sizeDecimals)];
    let checksum = krakenChecksum(market.book.top('bid', 10).map(str), market.book.top('ask', 10).map(str));
    if (corrupt) checksum = (checksum ^ 0x5a5a) >>> 0;
    return `{"channel":"book","type":"${type}","data":[{"symbol":"${this.native(inst)}","bids":[${this.levels(inst, bids)}],"asks":[${this.levels(inst, asks)}],"checksum":${checksum},"timestamp":"${new Date().toISOString()}"}]}`;
  }

  private tradeFrame(type: 'snapshot' | 'update', inst: Instrument, trades: readonly TradeRecord[]): string {
    const native = this.native(inst);
    const items = trades.map(
      ({ trade: t, ts }) =>
        `{"symbol":"${native}","side":"${t.side}","price":${this.num(t.px, inst.priceDecimals)},"qty":${this.num(t.sz, inst.sizeDecimals)},"ord_type":"market","trade_id":${t.id},"timestamp":"${ts}"}`,
    );
    return `{"channel":"trade","type":"${type}","data":[${items.join(',')}]}`;
  }

  private tickerFrame(type: 'snapshot' | 'update', inst: Instrument, market: SyntheticMarket): string {
    const b = market.book.best('bid');
    const a = market.book.best('ask');
    const p = (v: number) => this.num(v, inst.priceDecimals);
    const q = (v: number) => this.num(v, inst.sizeDecimals);
    const vwap = market.volume > 0 ? Math.round((this.turnover.get(inst.symbol) ?? 0) / market.volume) : market.lastPx;
    const changePct = Math.round(((market.lastPx - market.openPx) / market.openPx) * 10_000) / 100;
    return `{"channel":"ticker","type":"${type}","data":[{"symbol":"${this.native(inst)}","bid":${p(b?.px ?? 0)},"bid_qty":${q(b?.sz ?? 0)},"ask":${p(a?.px ?? 0)},"ask_qty":${q(a?.sz ?? 0)},"last":${p(market.lastPx)},"volume":${q(market.volume)},"vwap":${p(vwap)},"low":${p(market.low)},"high":${p(market.high)},"change":${p(market.lastPx - market.openPx)},"change_pct":${changePct},"timestamp":"${new Date().toISOString()}"}]}`;
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

  /** Sends now (per-event profile) or at the end of this event-loop turn (realistic). */
  private push(key: string, flush: () => void): void {
    if (this.perEvent) flush();
    else this.pushes.schedule(key, 0, flush);
  }

  publish(symbol: string, event: MarketEvent, market: SyntheticMarket): void {
    const inst = market.instrument;
    if (event.trade) this.onTrade(symbol, event.trade, inst, market);
    if (this.subscribers(`ticker|${symbol}|bbo`) && this.touchesTop(event, market))
      this.push(`ticker|${symbol}|bbo`, () =>
        this.broadcast(`ticker|${symbol}|bbo`, symbol, 'ticker', () => this.tickerFrame('update', inst, market)),
      );
    if (!event.changes.length) return;
    for (const depth of DEPTHS) {
      const key = `book|${symbol}|${depth}`;
      if (!this.views.has(key)) continue;
      if (!this.subscribers(key)) {
        this.views.stop(key);
        this.pushes.cancel(key);
        this.batchSeq.delete(key);
        continue;
      }
      this.views.add(key, event.changes);
      const range = this.batchSeq.get(key);
      this.batchSeq.set(key, [range?.[0] ?? event.seq, event.seq]);
      this.push(key, () => this.flushBook(key, symbol, depth, market));
    }
  }

  private onTrade(symbol: string, trade: SimTrade, inst: Instrument, market: SyntheticMarket): void {
    this.deps.truth.trade(this.name, symbol, trade.id);
    this.turnover.set(symbol, (this.turnover.get(symbol) ?? 0) + trade.px * trade.sz);
    const rec = { trade, ts: new Date().toISOString() };
    let recent = this.recent.get(symbol);
    if (!recent) this.recent.set(symbol, (recent = []));
    recent.push(rec);
    if (recent.length > TRADE_SNAPSHOT) recent.shift();
    const tradeKey = `trade|${symbol}`;
    if (this.subscribers(tradeKey)) {
      let pending = this.pendingTrades.get(symbol);
      if (!pending) this.pendingTrades.set(symbol, (pending = []));
      pending.push(rec);
      this.push(tradeKey, () => {
        const batch = this.pendingTrades.get(symbol) ?? [];
        this.pendingTrades.delete(symbol);
        if (batch.length && this.broadcast(tradeKey, symbol, 'trade', () => this.tradeFrame('update', inst, batch)))
          this.tradesWentOut(
            symbol,
            batch.map((r) => r.trade.id),
          );
      });
    }
    const tickerKey = `ticker|${symbol}|trades`;
    if (this.subscribers(tickerKey))
      this.push(tickerKey, () => this.broadcast(tickerKey, symbol, 'ticker', () => this.tickerFrame('update', inst, market)));
  }

  private flushBook(key: string, symbol: string, depth: number, market: SyntheticMarket): void {
    const range = this.batchSeq.get(key);
    this.batchSeq.delete(key);
    if (!this.subscribers(key)) return void this.views.stop(key);
    const changes = this.views.take(key, market.book, depth, false);
    if (!range) return;
    if (changes.length === 0) return void this.deps.truth.seq(this.name, symbol, range[1]);
    const f = this.deps.faults;
    if (f.any('gap', this.name) && f.take('gap', { venue: this.name, symbol })) {
      this.deps.truth.skipped(this.name, symbol, range[0], range[1]);
      return;
    }
    this.deps.truth.seq(this.name, symbol, range[1]);
    const corrupt = this.corruptChecksum(symbol);
    const side = (s: 'bid' | 'ask') => changes.filter((c: LevelChange) => c.side === s);
    this.broadcast(key, symbol, 'book_update', () =>
      this.bookFrame('update', market.instrument, side('bid'), side('ask'), market, corrupt),
    );
  }

  /** `{"channel":"heartbeat"}` to subscribed connections after about a second without other frames. */
  private heartbeat(now: number): void {
    for (const conn of this.conns.values()) {
      if (conn.subscriptions.size === 0) continue;
      if (conn.state.get('hbSent') !== conn.sent) {
        conn.state.set('hbSent', conn.sent);
        conn.state.set('hbAt', now);
      } else if (now - (conn.state.get('hbAt') as number) >= HEARTBEAT_MS) {
        if (conn.send('{"channel":"heartbeat"}')) this.deps.truth.sent(this.name, '(all)', 'heartbeat');
        conn.state.set('hbSent', conn.sent);
        conn.state.set('hbAt', now);
      }
    }
  }

  override close(): void {
    clearInterval(this.heartbeats);
    this.pushes.clear();
    super.close();
  }
}
