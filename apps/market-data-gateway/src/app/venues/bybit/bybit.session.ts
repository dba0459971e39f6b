import { isZeroDecimal } from '@cryptoscalp/market';

import type { BookHandle, BookOptions, BookSnapshot, LevelIn } from '../../books/book.types';
import type { CarriedSymbol, SessionContext, VenueSession } from '../venue-adapter';
import type { BybitAdapter } from './bybit.adapter';
import { asBookData, asTrade, bookDepthFor, bybitContinuity, mergeTicker, parseTopic } from './bybit.protocol';

interface Top {
  bid?: LevelIn;
  ask?: LevelIn;
}

/**
 * One Bybit connection (spot or linear): the hot path and per-symbol re-snapshots.
 *
 * Books start from the snapshot Bybit pushes on subscribe; any later snapshot (the venue re-sends
 * one when it had a problem, `u=1` after a restart) replaces the book. Deltas must continue `u`
 * by one. A symbol that must resync gets a fresh snapshot by unsubscribe + subscribe of its book
 * topic alone (batched, ≤ 10 topics a request, paced); the book waits for the push (`snapshotViaWs`). `orderbook.1` is the top of book (snapshots; the
 * linear ones may be followed by deltas, merged here).
 */
export class BybitSession implements VenueSession {
  private readonly books = new Map<string, BookHandle>();
  /** Book subscriptions of the connection plan that have not pushed their snapshot yet. */
  private readonly initial = new Set<string>();
  private readonly resubscribe = new Set<string>();
  private resubscribeTimer: NodeJS.Timeout | undefined;
  private readonly tops = new Map<string, Top>();
  private readonly tickers = new Map<string, Record<string, string>>();
  /** Symbols whose top of book comes from `orderbook.1` (tickers then stay silent). */
  private readonly l1FromBook = new Set<string>();
  private readonly bookDepth: number;
  private closed = false;

  constructor(
    private readonly ctx: SessionContext,
    private readonly adapter: BybitAdapter,
  ) {
    this.bookDepth = bookDepthFor(ctx.settings.bookDepth);
  }

  onOpen(): void {
    for (const s of this.ctx.byNative.values()) if (s.channels.includes('l2')) this.initial.add(s.native);
  }

  onClose(): void {
    this.closed = true;
    if (this.resubscribeTimer) clearTimeout(this.resubscribeTimer);
  }

  keepalive(): void {
    this.ctx.send('{"op":"ping"}');
  }

  onFrame(text: string, recvUs: number): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return this.ctx.parseError(text, 'not JSON');
    }
    if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return this.ctx.parseError(text, 'not an object');
    const topic = msg['topic'];
    if (typeof topic !== 'string') return this.control(text, msg);
    const t = parseTopic(topic);
    if (!t) return this.ctx.parseError(text, 'unknown topic');
    const sym = this.ctx.byNative.get(t.native);
    if (!sym) return this.ctx.skipped();
    const ts = typeof msg['ts'] === 'number' ? msg['ts'] : Math.floor(recvUs / 1000);
    if (t.kind === 'orderbook') {
      if (t.depth === 1) return this.top(text, sym, msg['type'], msg['data'], ts, recvUs);
      if (t.depth !== this.bookDepth || !sym.channels.includes('l2')) return this.ctx.skipped();
      return this.book(text, sym, msg['type'], msg['data'], ts, recvUs);
    }
    if (t.kind === 'publicTrade') return this.trades(text, sym, msg['data'], recvUs);
    if (t.kind === 'tickers') return this.ticker(text, sym, msg['type'], msg['data'], ts, recvUs);
    this.ctx.skipped();
  }

  /** Subscription acks, pongs; a refused request rotates the connection (a fresh one subscribes again). */
  private control(text: string, msg: Record<string, unknown>): void {
    const op = msg['op'];
    if (op === 'ping' || op === 'pong') return;
    if (msg['success'] === false) {
      this.ctx.warn(`bybit refused a request: ${text.slice(0, 200)}`);
      this.ctx.rotate(`request refused: ${String(msg['ret_msg']).slice(0, 100)}`);
      return;
    }
    if (msg['success'] === true) return this.ctx.skipped();
    this.ctx.parseError(text, 'neither a topic push nor a reply');
  }

  private book(text: string, sym: CarriedSymbol, type: unknown, data: unknown, ts: number, recvUs: number): void {
    const d = asBookData(data);
    if (typeof d === 'string') return this.ctx.parseError(text, d);
    const book = this.bookOf(sym);
    if (type === 'snapshot') {
      // Any snapshot replaces the book — a resubscription's, an unrequested one, a restart's u=1.
      this.initial.delete(sym.native);
      book.snapshot({ seq: d.u, bids: d.b, asks: d.a, ts, recvTs: recvUs });
      return;
    }
    if (type !== 'delta') return this.ctx.parseError(text, `orderbook type ${String(type)}`);
    book.update({ first: d.u, last: d.u, bids: d.b, asks: d.a, ts, recvTs: recvUs });
  }

  private top(text: string, sym: CarriedSymbol, type: unknown, data: unknown, ts: number, recvUs: number): void {
    if (!sym.channels.includes('l1')) return this.ctx.skipped();
    const d = asBookData(data);
    if (typeof d === 'string') return this.ctx.parseError(text, d);
    this.l1FromBook.add(sym.native);
    let top = this.tops.get(sym.native);
    if (type === 'snapshot' || !top) {
      if (type !== 'snapshot') return; // a delta before the snapshot it changes
      top = { bid: d.b[0], ask: d.a[0] };
      this.tops.set(sym.native, top);
    } else {
      for (const l of d.b) top.bid = applyTop(top.bid, l);
      for (const l of d.a) top.ask = applyTop(top.ask, l);
    }
    if (!top.bid || !top.ask) return;
    this.ctx.topOfBook(sym, { bidPx: top.bid[0], bidSz: top.bid[1], askPx: top.ask[0], askSz: top.ask[1], seq: d.u, ts, recvTs: recvUs });
  }

  private trades(text: string, sym: CarriedSymbol, data: unknown, recvUs: number): void {
    if (!Array.isArray(data)) return this.ctx.parseError(text, 'publicTrade data is not an array');
    for (const entry of data) {
      const t = asTrade(entry);
      if (typeof t === 'string') return this.ctx.parseError(text, t);
      this.ctx.trade(sym, { id: t.id, price: t.price, size: t.size, side: t.side, ts: t.ts, recvTs: recvUs });
    }
  }

  /** Linear tickers: snapshot + deltas of changed fields, merged; L1 from bid1/ask1 when `orderbook.1` is not carried. */
  private ticker(text: string, sym: CarriedSymbol, type: unknown, data: unknown, ts: number, recvUs: number): void {
    if (!data || typeof data !== 'object' || Array.isArray(data)) return this.ctx.parseError(text, 'tickers data is not an object');
    const merged = mergeTicker(this.tickers.get(sym.native), type, data as Record<string, unknown>);
    if (!merged) return this.ctx.skipped();
    this.tickers.set(sym.native, merged);
    const { bid1Price, bid1Size, ask1Price, ask1Size } = merged;
    if (this.l1FromBook.has(sym.native) || !sym.channels.includes('l1') || !bid1Price || !bid1Size || !ask1Price || !ask1Size)
      return this.ctx.skipped();
    this.ctx.topOfBook(sym, { bidPx: bid1Price, bidSz: bid1Size, askPx: ask1Price, askSz: ask1Size, ts, recvTs: recvUs });
  }

  /** The merged ticker of a symbol (tests, diagnostics). */
  tickerOf(native: string): Readonly<Record<string, string>> | undefined {
    return this.tickers.get(native);
  }

  private bookOf(sym: CarriedSymbol): BookHandle {
    let book = this.books.get(sym.native);
    if (!book) {
      const options: BookOptions = {
        continuity: bybitContinuity,
        // Levels leaving the subscribed depth are dropped as the venue's view drops them.
        truncateTo: this.bookDepth,
        requestSnapshot: () => this.wsSnapshot(sym),
        snapshotViaWs: true,
        snapshotTimeoutMs: this.adapter.snapshotTimeoutMs,
      };
      book = this.ctx.book(sym, options);
      this.books.set(sym.native, book);
    }
    return book;
  }

  /**
   * A WebSocket snapshot: the plan's subscription brings the first one; later requests (a resync,
   * or the core's timeout) resubscribe the book topic. The book waits for the push (`snapshotViaWs`).
   */
  private wsSnapshot(sym: CarriedSymbol): Promise<BookSnapshot | undefined> {
    if (!this.closed && !this.initial.delete(sym.native)) this.queueResubscribe(sym.native);
    return Promise.resolve(undefined);
  }

  private queueResubscribe(native: string): void {
    this.resubscribe.add(native);
    if (!this.resubscribeTimer) {
      this.resubscribeTimer = setTimeout(() => this.flushResubscribe(), this.adapter.resubscribeBatchMs);
      this.resubscribeTimer.unref?.();
    }
  }

  private flushResubscribe(): void {
    this.resubscribeTimer = undefined;
    if (this.closed || this.resubscribe.size === 0) return;
    const topics = [...this.resubscribe].map((n) => `orderbook.${this.bookDepth}.${n}`);
    this.resubscribe.clear();
    this.ctx.sendPaced(...this.adapter.resubscribeFrames(topics));
  }
}

/** A depth-1 side after one delta level: a size 0 removes the level it names, any other size replaces the side. */
function applyTop(current: LevelIn | undefined, level: LevelIn): LevelIn | undefined {
  if (isZeroDecimal(level[1])) return current && current[0] === level[0] ? undefined : current;
  return level;
}
