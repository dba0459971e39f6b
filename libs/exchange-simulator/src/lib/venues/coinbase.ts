import { formatFixed, type Level } from '@cryptoscalp/market';

import type { IncomingMessage, ServerResponse } from 'node:http';

import type { MarketEvent, SyntheticMarket } from '../market/market';
import { BaseVenue } from './base-venue';
import type { SimConnection } from './sim-connection';
import { sendJson } from './venue';

const CHANNELS = ['level2', 'level2_batch', 'heartbeat', 'ticker', 'matches'] as const;
type Channel = (typeof CHANNELS)[number];

/**
 * Coinbase Exchange feed: `subscribe` → `subscriptions`; `level2` snapshot + `l2update`,
 * `ticker`, `match` (with `last_match` on subscribe) and per-product `heartbeat`, all carrying
 * the per-product `sequence`; REST `/products` and `/products/<id>/book`.
 */
export class CoinbaseVenue extends BaseVenue {
  readonly name = 'coinbase' as const;

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
          display_name: `${i.base}/${i.quote}`,
          status: 'online',
          trading_disabled: false,
        })),
      );
      return true;
    }
    const m = /^\/products\/([^/]+)\/book$/.exec(url.pathname);
    if (!m) return false;
    const inst = this.instrumentOf(m[1] as string);
    if (!inst) return (sendJson(res, 404, { message: 'NotFound' }), true);
    const fmt = (l: Level) => [formatFixed(l.px, inst.priceDecimals), formatFixed(l.sz, inst.sizeDecimals), 1];
    const depth = url.searchParams.get('level') === '1' ? 1 : 50_000;
    this.serveSnapshot(
      res,
      inst,
      (status) => ({ message: status === 429 ? 'Public rate limit exceeded' : 'Forbidden' }),
      (m) => ({
        sequence: m.seq,
        bids: m.book.top('bid', depth).map(fmt),
        asks: m.book.top('ask', depth).map(fmt),
        time: new Date().toISOString(),
      }),
    );
    return true;
  }

  protected onMessage(conn: SimConnection, text: string): void {
    const msg = this.parse(text);
    if (!msg) return void conn.send(JSON.stringify({ type: 'error', message: 'Failed to subscribe', reason: 'malformed JSON' }));
    const type = msg['type'];
    if (type !== 'subscribe' && type !== 'unsubscribe') {
      return void conn.send(
        JSON.stringify({ type: 'error', message: 'Failed to subscribe', reason: `${String(type)} is not a valid type` }),
      );
    }
    const defaultProducts = Array.isArray(msg['product_ids']) ? (msg['product_ids'] as unknown[]).map(String) : [];
    const requests: [Channel, string[]][] = [];
    for (const ch of Array.isArray(msg['channels']) ? (msg['channels'] as unknown[]) : []) {
      const name = typeof ch === 'string' ? ch : String((ch as { name?: unknown }).name);
      const products =
        typeof ch === 'object' && ch && Array.isArray((ch as { product_ids?: unknown }).product_ids)
          ? (ch as { product_ids: unknown[] }).product_ids.map(String)
          : defaultProducts;
      if (!(CHANNELS as readonly string[]).includes(name))
        return void conn.send(JSON.stringify({ type: 'error', message: 'Failed to subscribe', reason: `${name} is not a valid channel` }));
      const bad = products.find((p) => !this.instrumentOf(p));
      if (bad)
        return void conn.send(JSON.stringify({ type: 'error', message: 'Failed to subscribe', reason: `${bad} is not a valid product` }));
      requests.push([name as Channel, products]);
    }
    if (type === 'subscribe' && this.deps.faults.take('refuse_subscribe', { venue: this.name, connection: conn.id })) {
      return void conn.send(JSON.stringify({ type: 'error', message: 'Failed to subscribe', reason: 'subscription refused' }));
    }
    // The subscriptions answer comes first, then the snapshots and last_match of new subscriptions.
    const initial: (() => void)[] = [];
    for (const [channel, products] of requests) {
      for (const p of products) {
        const inst = this.instrumentOf(p);
        if (!inst) continue;
        const ch = channel === 'level2_batch' ? 'level2' : channel;
        const key = `${ch}|${inst.symbol}`;
        if (type === 'unsubscribe') {
          this.unsubscribe(conn, key);
          continue;
        }
        this.subscribe(conn, key);
        initial.push(() => {
          const market = this.deps.markets.get(inst.symbol) as SyntheticMarket;
          if (ch === 'level2') {
            const fmt = (l: Level) => [formatFixed(l.px, inst.priceDecimals), formatFixed(l.sz, inst.sizeDecimals)];
            const snapshot = {
              type: 'snapshot',
              product_id: p.toUpperCase(),
              bids: market.book.top('bid', 50_000).map(fmt),
              asks: market.book.top('ask', 50_000).map(fmt),
            };
            this.unicast(conn, JSON.stringify(snapshot), inst.symbol, 'snapshot');
          }
          if (ch === 'matches' && market.tradeId > 0) {
            this.unicast(
              conn,
              this.matchFrame('last_match', inst.symbol, market, { id: market.tradeId, px: market.lastPx, sz: 1, side: 'buy' }),
              inst.symbol,
              'last_match',
            );
          }
        });
      }
    }
    const channels = new Map<string, string[]>();
    for (const key of conn.subscriptions) {
      const [ch, symbol] = key.split('|') as [string, string];
      const inst = this.deps.instruments.find((i) => i.symbol === symbol);
      if (!inst) continue;
      channels.set(ch, [...(channels.get(ch) ?? []), this.native(inst)]);
    }
    conn.send(JSON.stringify({ type: 'subscriptions', channels: [...channels].map(([name, product_ids]) => ({ name, product_ids })) }));
    for (const send of initial) send();
  }

  private matchFrame(
    type: 'match' | 'last_match',
    symbol: string,
    market: SyntheticMarket,
    t: { id: number; px: number; sz: number; side: 'buy' | 'sell' },
  ): string {
    const inst = market.instrument;
    // Coinbase `side` is the maker's side: a taker buy matches a resting sell.
    const makerSide = t.side === 'buy' ? 'sell' : 'buy';
    return JSON.stringify({
      type,
      trade_id: t.id,
      maker_order_id: `m-${symbol}-${t.id}`,
      taker_order_id: `t-${symbol}-${t.id}`,
      side: makerSide,
      size: formatFixed(t.sz, inst.sizeDecimals),
      price: formatFixed(t.px, inst.priceDecimals),
      product_id: this.native(inst),
      sequence: market.seq,
      time: new Date().toISOString(),
    });
  }

  protected serverCloseNotice(conn: SimConnection): void {
    conn.close(1001, 'going away');
  }

  publish(symbol: string, event: MarketEvent, market: SyntheticMarket): void {
    const inst = market.instrument;
    const product = this.native(inst);
    if (event.trade) {
      const t = event.trade;
      this.deps.truth.trade(this.name, symbol, t.id);
      this.broadcast(`matches|${symbol}`, symbol, 'match', () => this.matchFrame('match', symbol, market, t));
      this.broadcast(`ticker|${symbol}`, symbol, 'ticker', () => {
        const b = market.book.best('bid');
        const a = market.book.best('ask');
        const px = (v: number | undefined) => (v === undefined ? '' : formatFixed(v, inst.priceDecimals));
        return JSON.stringify({
          type: 'ticker',
          sequence: market.seq,
          product_id: product,
          price: px(t.px),
          open_24h: px(market.openPx),
          volume_24h: formatFixed(market.volume, inst.sizeDecimals),
          volume_30d: formatFixed(market.volume, inst.sizeDecimals),
          low_24h: px(market.low),
          high_24h: px(market.high),
          best_bid: px(b?.px),
          best_bid_size: b ? formatFixed(b.sz, inst.sizeDecimals) : '',
          best_ask: px(a?.px),
          best_ask_size: a ? formatFixed(a.sz, inst.sizeDecimals) : '',
          side: t.side,
          time: new Date().toISOString(),
          trade_id: t.id,
          last_size: formatFixed(t.sz, inst.sizeDecimals),
        });
      });
    }
    if (event.changes.length) {
      if (this.skipForGap(symbol, event)) return;
      this.broadcast(`level2|${symbol}`, symbol, 'l2update', () =>
        JSON.stringify({
          type: 'l2update',
          product_id: product,
          changes: event.changes.map((c) => [
            c.side === 'bid' ? 'buy' : 'sell',
            formatFixed(c.px, inst.priceDecimals),
            formatFixed(c.sz, inst.sizeDecimals),
          ]),
          time: new Date().toISOString(),
        }),
      );
    }
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
}
