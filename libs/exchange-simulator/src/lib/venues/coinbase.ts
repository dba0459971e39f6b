import { formatFixed, formatTrimmed, type Level, type LevelChange } from '@cryptoscalp/market';

import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Instrument } from '../market/instrument';
import type { MarketEvent, SimTrade, SyntheticMarket } from '../market/market';
import { BaseVenue } from './base-venue';
import { AUTH_REQUIRED_REASON, COINBASE_DEFAULTS, type CoinbaseOptions, syntheticUuid } from './coinbase-options';
import { productBook } from './coinbase-rest';
import { tradesPage, tradesQuery, TradeTape } from './coinbase-trades';
import { withRestFaults } from './rest-faults';
import type { SimConnection } from './sim-connection';
import { sendJson, type VenueDeps } from './venue';

const CHANNELS = ['level2', 'level2_batch', 'heartbeat', 'ticker', 'matches'] as const;
type Channel = (typeof CHANNELS)[number];
/** Channels that need an authenticated subscribe. */
const AUTHENTICATED: readonly Channel[] = ['level2'];
const AUTH_FIELDS = ['signature', 'key', 'passphrase', 'timestamp'] as const;

/** A trade as the feed remembers it for `last_match`. */
interface LastMatch {
  trade: SimTrade;
  sequence: number;
  time: string;
}

/**
 * Coinbase Exchange feed: `subscribe` → `subscriptions`; `level2` (authenticated, every update)
 * and `level2_batch` (public, 50 ms batches): snapshot + `l2update`; `ticker`, `match` (with a
 * real `last_match` on subscribe) and per-product `heartbeat`, carrying the per-product
 * `sequence`; connections without a subscribe are closed after 5 s; REST `/products` and
 * `/products/<id>/book` (levels 1, 2, 3).
 */
export class CoinbaseVenue extends BaseVenue {
  readonly name = 'coinbase' as const;
  private readonly rules: CoinbaseOptions;
  private readonly realistic: boolean;
  /** symbol → changes collected for the next level2_batch frame (final size per side and price). */
  private readonly batches = new Map<string, Map<string, LevelChange>>();
  private readonly lastMatch = new Map<string, LastMatch>();
  /** symbol → the trades its market made, for `GET /products/<id>/trades`. */
  private readonly tapes = new Map<string, TradeTape>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(deps: VenueDeps) {
    super(deps);
    this.rules = { ...COINBASE_DEFAULTS, ...deps.options.coinbase };
    this.realistic = deps.options.profile !== 'per-event';
    if (this.realistic) {
      const t = setInterval(() => this.flushBatches(), this.rules.batchMs);
      t.unref();
      this.timers.add(t);
    }
  }

  handleHttp(_req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (url.pathname === '/products') {
      sendJson(
        res,
        200,
        this.deps.instruments.map((i) => ({
          id: this.native(i),
          base_currency: i.base,
          quote_currency: i.quote,
          quote_increment: formatFixed(1, i.priceDecimals),
          base_increment: formatFixed(1, i.sizeDecimals),
          display_name: `${i.base}-${i.quote}`,
          min_market_funds: '1',
          margin_enabled: false,
          post_only: false,
          limit_only: false,
          cancel_only: false,
          status: 'online',
          status_message: '',
          trading_disabled: false,
          fx_stablecoin: false,
          max_slippage_percentage: '0.03000000',
          auction_mode: false,
        })),
      );
      return true;
    }
    const m = /^\/products\/([^/]+)\/(book|trades)$/.exec(url.pathname);
    if (!m) return false;
    const product = m[1] as string;
    const inst = this.deps.instruments.find((i) => this.native(i) === product.toUpperCase());
    if (!inst) return (sendJson(res, 404, { message: 'NotFound' }), true);
    if (m[2] === 'trades') return (this.serveTrades(res, inst, url), true);
    const raw = url.searchParams.get('level') ?? '1';
    if (!['1', '2', '3'].includes(raw)) return (sendJson(res, 400, { message: 'Invalid level' }), true);
    this.serveSnapshot(
      res,
      inst,
      (status) => ({ message: status === 429 ? 'Public rate limit exceeded' : 'Forbidden' }),
      (market) => productBook(this.native(inst), inst, market, Number(raw) as 1 | 2 | 3),
    );
    return true;
  }

  /**
   * `GET /products/<id>/trades`: the trades the market made, newest first, paginated with
   * `before`/`after` (trade ids) and `CB-BEFORE`/`CB-AFTER`; the REST faults apply. Trades served
   * count as sent in the ground truth (they went out to a client).
   */
  private serveTrades(res: ServerResponse, inst: Instrument, url: URL): void {
    const q = tradesQuery(url.searchParams);
    if (typeof q === 'string') return sendJson(res, 400, { message: q });
    withRestFaults(
      this.deps.faults,
      this.name,
      inst.symbol,
      res,
      () => {
        const page = tradesPage(this.tapes.get(inst.symbol) ?? new TradeTape(1), inst, q);
        sendJson(res, 200, page.body, page.headers);
        this.deps.truth.sent(this.name, inst.symbol, 'rest_trades');
        if (page.body.length)
          this.tradesReplayedOut(
            inst.symbol,
            page.body.map((t) => t.trade_id),
          );
      },
      (status) => ({ message: status === 429 ? 'Public rate limit exceeded' : 'Forbidden' }),
    );
  }

  /** The feed disconnects a client that has not subscribed within 5 s. */
  protected override onOpen(conn: SimConnection): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!conn.state.get('subscribed')) conn.close(1000, 'no subscribe message received in time');
    }, this.rules.subscribeTimeoutMs);
    t.unref();
    this.timers.add(t);
    conn.ws.once('close', () => {
      clearTimeout(t);
      this.timers.delete(t);
    });
  }

  private error(conn: SimConnection, reason: string): void {
    conn.send(JSON.stringify({ type: 'error', message: 'Failed to subscribe', reason }));
  }

  protected onMessage(conn: SimConnection, text: string): void {
    const msg = this.parse(text);
    if (!msg) return this.error(conn, 'malformed JSON');
    const type = msg['type'];
    if (type !== 'subscribe' && type !== 'unsubscribe') return this.error(conn, `${String(type)} is not a valid type`);
    const defaultProducts = Array.isArray(msg['product_ids']) ? (msg['product_ids'] as unknown[]).map(String) : [];
    const requests: [Channel, Instrument[]][] = [];
    for (const ch of Array.isArray(msg['channels']) ? (msg['channels'] as unknown[]) : []) {
      const name = typeof ch === 'string' ? ch : String((ch as { name?: unknown } | null)?.name);
      const products =
        typeof ch === 'object' && ch && Array.isArray((ch as { product_ids?: unknown }).product_ids)
          ? (ch as { product_ids: unknown[] }).product_ids.map(String)
          : defaultProducts;
      if (!(CHANNELS as readonly string[]).includes(name)) return this.error(conn, `${name} is not a valid channel`);
      const bad = products.find((p) => !this.product(p));
      if (bad) return this.error(conn, `${bad} is not a valid product`);
      requests.push([name as Channel, products.map((p) => this.product(p) as Instrument)]);
    }
    if (type === 'subscribe') {
      // level2 needs the signed-subscribe fields; the simulator accepts any signature.
      const authenticated = AUTH_FIELDS.every((f) => typeof msg[f] === 'string' && (msg[f] as string).length > 0);
      if (!authenticated && requests.some(([ch]) => AUTHENTICATED.includes(ch))) return this.error(conn, AUTH_REQUIRED_REASON);
      if (this.deps.faults.take('refuse_subscribe', { venue: this.name, connection: conn.id })) {
        return this.error(conn, 'subscription refused');
      }
      conn.state.set('subscribed', true);
    }
    // The subscriptions answer comes first, then the snapshots and last_match of new subscriptions.
    const initial: (() => void)[] = [];
    for (const [channel, instruments] of requests) {
      for (const inst of instruments) {
        const key = `${channel}|${inst.symbol}`;
        if (type === 'unsubscribe') {
          this.unsubscribe(conn, key);
          continue;
        }
        if (conn.subscriptions.has(key)) continue;
        this.subscribe(conn, key);
        initial.push(() => this.initialFrames(conn, channel, inst));
      }
    }
    const channels = new Map<string, string[]>();
    for (const key of conn.subscriptions) {
      const [ch, symbol] = key.split('|') as [string, string];
      const inst = this.deps.instruments.find((i) => i.symbol === symbol);
      if (inst) channels.set(ch, [...(channels.get(ch) ?? []), this.native(inst)]);
    }
    conn.send(JSON.stringify({ type: 'subscriptions', channels: [...channels].map(([name, product_ids]) => ({ name, product_ids })) }));
    for (const send of initial) send();
  }

  private product(id: string): Instrument | undefined {
    return this.deps.instruments.find((i) => this.native(i) === id);
  }

  private initialFrames(conn: SimConnection, channel: Channel, inst: Instrument): void {
    const market = this.deps.markets.get(inst.symbol) as SyntheticMarket;
    if (channel === 'level2' || channel === 'level2_batch') {
      const fmt = (l: Level) => [formatFixed(l.px, inst.priceDecimals), formatFixed(l.sz, inst.sizeDecimals)];
      const snapshot = {
        type: 'snapshot',
        product_id: this.native(inst),
        bids: market.book.levels('bid').map(fmt),
        asks: market.book.levels('ask').map(fmt),
      };
      this.unicast(conn, JSON.stringify(snapshot), inst.symbol, 'snapshot');
    }
    const last = this.lastMatch.get(inst.symbol);
    if (channel === 'matches' && last) {
      this.unicast(conn, this.matchFrame('last_match', inst, last), inst.symbol, 'last_match');
      this.tradesReplayedOut(inst.symbol, [last.trade.id]);
    }
  }

  private matchFrame(type: 'match' | 'last_match', inst: Instrument, m: LastMatch): string {
    const t = m.trade;
    const product = this.native(inst);
    // Coinbase `side` is the maker's side: a taker buy matches a resting sell.
    const makerSide = t.side === 'buy' ? 'sell' : 'buy';
    return JSON.stringify({
      type,
      trade_id: t.id,
      maker_order_id: syntheticUuid(`${product}|maker|${t.id}`),
      taker_order_id: syntheticUuid(`${product}|taker|${t.id}`),
      side: makerSide,
      size: formatTrimmed(t.sz, inst.sizeDecimals),
      price: formatTrimmed(t.px, inst.priceDecimals),
      product_id: product,
      sequence: m.sequence,
      time: m.time,
    });
  }

  protected serverCloseNotice(conn: SimConnection): void {
    conn.close(1001, 'going away');
  }

  publish(symbol: string, event: MarketEvent, market: SyntheticMarket): void {
    const inst = market.instrument;
    if (event.trade) this.publishTrade(symbol, inst, event.trade, market);
    if (!event.changes.length || this.skipForGap(symbol, event)) return;
    const time = new Date().toISOString();
    // level2: every update as it happens (so does level2_batch in the per-event profile).
    this.broadcast(`level2|${symbol}`, symbol, 'l2update', () => this.l2update(inst, event.changes, time));
    if (!this.realistic) {
      this.broadcast(`level2_batch|${symbol}`, symbol, 'l2update', () => this.l2update(inst, event.changes, time));
      return;
    }
    if (!this.subscribers(`level2_batch|${symbol}`)) return;
    let batch = this.batches.get(symbol);
    if (!batch) this.batches.set(symbol, (batch = new Map()));
    for (const c of event.changes) {
      const k = `${c.side}|${c.px}`;
      batch.delete(k); // keep the order of the last change
      batch.set(k, c);
    }
  }

  private flushBatches(): void {
    if (this.batches.size === 0) return;
    const time = new Date().toISOString();
    for (const [symbol, batch] of this.batches) {
      const inst = this.deps.instruments.find((i) => i.symbol === symbol) as Instrument;
      this.broadcast(`level2_batch|${symbol}`, symbol, 'l2update', () => this.l2update(inst, [...batch.values()], time));
    }
    this.batches.clear();
  }

  private l2update(inst: Instrument, changes: readonly LevelChange[], time: string): string {
    return JSON.stringify({
      type: 'l2update',
      product_id: this.native(inst),
      changes: changes.map((c) => [
        c.side === 'bid' ? 'buy' : 'sell',
        formatFixed(c.px, inst.priceDecimals),
        formatFixed(c.sz, inst.sizeDecimals),
      ]),
      time,
    });
  }

  private publishTrade(symbol: string, inst: Instrument, t: SimTrade, market: SyntheticMarket): void {
    this.deps.truth.trade(this.name, symbol, t.id);
    const last: LastMatch = { trade: t, sequence: market.seq, time: new Date().toISOString() };
    this.lastMatch.set(symbol, last);
    let tape = this.tapes.get(symbol);
    if (!tape) this.tapes.set(symbol, (tape = new TradeTape(this.rules.tradeHistory)));
    tape.record(t, last.time);
    this.broadcast(`matches|${symbol}`, symbol, 'match', () => this.matchFrame('match', inst, last));
    this.broadcast(`ticker|${symbol}`, symbol, 'ticker', () => {
      const b = market.book.best('bid');
      const a = market.book.best('ask');
      const fixed = (v: number | undefined, d: number) => (v === undefined ? '' : formatFixed(v, d));
      const trimmed = (v: number) => formatTrimmed(v, inst.priceDecimals);
      const volume = formatFixed(market.volume * 10 ** Math.max(0, 8 - inst.sizeDecimals), Math.max(8, inst.sizeDecimals));
      return JSON.stringify({
        type: 'ticker',
        sequence: market.seq,
        product_id: this.native(inst),
        price: trimmed(t.px),
        open_24h: trimmed(market.openPx),
        volume_24h: volume,
        low_24h: trimmed(market.low),
        high_24h: trimmed(market.high),
        volume_30d: volume,
        best_bid: fixed(b?.px, inst.priceDecimals),
        best_bid_size: fixed(b?.sz, inst.sizeDecimals),
        best_ask: fixed(a?.px, inst.priceDecimals),
        best_ask_size: fixed(a?.sz, inst.sizeDecimals),
        side: t.side,
        time: last.time,
        trade_id: t.id,
        last_size: formatTrimmed(t.sz, inst.sizeDecimals),
      });
    });
  }

  override tick(now: number): void {
    super.tick(now);
    for (const inst of this.deps.instruments) {
      const market = this.deps.markets.get(inst.symbol);
      if (!market) continue;
      this.broadcast(`heartbeat|${inst.symbol}`, inst.symbol, 'heartbeat', () =>
        JSON.stringify({
          type: 'heartbeat',
          last_trade_id: market.tradeId,
          product_id: this.native(inst),
          sequence: market.seq,
          time: new Date(now).toISOString(),
        }),
      );
    }
  }

  override close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    super.close();
  }
}
