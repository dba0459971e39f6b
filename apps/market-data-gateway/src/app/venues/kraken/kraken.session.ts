import type { BookHandle } from '../../books/book.types';
import type { CarriedSymbol, Channel, SessionContext, VenueSession } from '../venue-adapter';
import { arrivalContinuity, decodeV2, krakenBookChecksum, type KrakenEvent } from './kraken.protocol';
import { decodeV1, v1BookRequest } from './kraken-v1.protocol';

export type KrakenProtocol = 'v1' | 'v2';

/** `req_id`s of what the gateway sends, so that a refusal names its channel. */
export const REQ = { book: 1, trade: 2, ticker: 3, heartbeat: 4, resync: 5, ping: 6 } as const;
const CHANNEL_OF_REQ: Record<number, string> = { 1: 'book', 2: 'trade', 3: 'ticker', 4: 'heartbeat', 5: 'book' };

export interface KrakenSessionOptions {
  protocol: KrakenProtocol;
  /** The subscribed book depth (v2); v1 frames name theirs (`book-1000`). */
  depth: number;
  /** A resubscribe that brings no snapshot within this long is asked again (the core's backoff). */
  snapshotTimeoutMs?: number;
}

/**
 * One Kraken connection: decodes frames (v2, or v1 for connections to the v1 URL — the recorded
 * captures), keeps the books exact and resyncs a symbol alone by resubscribing its book.
 *
 * Kraken books have no sequence numbers. Every book message gets the next number of a counter
 * seeded with the connection's start time in µs (so `seq` keeps growing across reconnects); the
 * checksum of every snapshot and update is the continuity check, and the book is truncated to the
 * subscribed depth after every update (levels leaving the depth are not announced).
 *
 * A resync (checksum mismatch, crossed book) asks for a snapshot: the session unsubscribes and
 * subscribes the symbol's book again (paced); the book waits for the pushed snapshot
 * (`snapshotViaWs`); updates that arrived before it are older (`stale`). Snapshot checksums are
 * verified by the core (`BookSnapshot.checksum`).
 */
export class KrakenSession implements VenueSession {
  private readonly protocol: KrakenProtocol;
  private readonly books = new Map<string, BookHandle>();
  private readonly depths = new Map<string, number>();
  /** Books whose first snapshot the connection plan's subscription brings (nothing to send). */
  private readonly initial = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly retries = new Map<string, number>();
  private seq = Date.now() * 1000;
  private closed = false;
  heartbeats = 0;

  constructor(
    private readonly ctx: SessionContext,
    private readonly options: KrakenSessionOptions,
  ) {
    this.protocol = options.protocol;
    for (const s of ctx.byNative.values()) if (s.channels.includes('l2')) this.initial.add(s.native);
  }

  onFrame(text: string, recvUs: number): void {
    const events = this.protocol === 'v1' ? decodeV1(text) : decodeV2(text);
    if (typeof events === 'string') return this.ctx.parseError(text, events);
    for (const e of events) this.handle(e, recvUs);
  }

  keepalive(): void {
    this.ctx.send(this.protocol === 'v2' ? `{"method":"ping","req_id":${REQ.ping}}` : `{"event":"ping","reqid":${REQ.ping}}`);
  }

  onClose(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private handle(e: KrakenEvent, recvUs: number): void {
    switch (e.kind) {
      case 'book':
        return this.book(e, recvUs);
      case 'trades': {
        const sym = this.carried(e.native, 'trades');
        if (!sym) return;
        for (const t of e.trades) this.ctx.trade(sym, { id: t.id, price: t.price, size: t.size, side: t.side, ts: t.ts, recvTs: recvUs });
        return;
      }
      case 'l1': {
        const sym = this.carried(e.native, 'l1');
        if (!sym) return;
        const { bidPx, bidSz, askPx, askSz } = e;
        this.ctx.topOfBook(sym, { bidPx, bidSz, askPx, askSz, ts: e.ts ?? Math.floor(recvUs / 1000), recvTs: recvUs });
        return;
      }
      case 'heartbeat':
        // Sent only when the connection carried nothing else: quiet, not broken.
        this.heartbeats++;
        this.ctx.idle();
        return this.ctx.skipped();
      case 'system':
        // Maintenance ends the connection: move to a new one make-before-break while this one lasts.
        if (e.state === 'maintenance') this.ctx.rotate('kraken system status: maintenance');
        return this.ctx.skipped();
      case 'refused':
        return this.refused(e);
      case 'other':
        return this.ctx.skipped();
    }
  }

  private carried(native: string, channel: Channel): CarriedSymbol | undefined {
    const sym = this.ctx.byNative.get(native);
    if (sym && sym.channels.includes(channel)) return sym;
    this.ctx.skipped();
    return undefined;
  }

  private book(e: Extract<KrakenEvent, { kind: 'book' }>, recvUs: number): void {
    const sym = this.carried(e.native, 'l2');
    if (!sym) return;
    const book = this.bookOf(sym, e.depth);
    const seq = ++this.seq;
    const ts = e.ts ?? Math.floor(recvUs / 1000);
    if (!e.snapshot) {
      book.update({ first: seq, last: seq, bids: e.bids, asks: e.asks, checksum: e.checksum, ts, recvTs: recvUs });
      return;
    }
    this.initial.delete(sym.native);
    // v2 snapshots carry the checksum too: the core verifies it and never publishes one that fails.
    book.snapshot({ seq, bids: e.bids, asks: e.asks, ts, recvTs: recvUs, ...(e.checksum !== undefined ? { checksum: e.checksum } : {}) });
  }

  private bookOf(sym: CarriedSymbol, depth: number | undefined): BookHandle {
    let book = this.books.get(sym.native);
    if (!book) {
      const truncateTo = depth ?? this.options.depth;
      this.depths.set(sym.native, truncateTo);
      book = this.ctx.book(sym, {
        requestSnapshot: () => this.requestBook(sym.native),
        continuity: arrivalContinuity,
        checksum: krakenBookChecksum,
        truncateTo,
        snapshotViaWs: true,
        ...(this.options.snapshotTimeoutMs !== undefined ? { snapshotTimeoutMs: this.options.snapshotTimeoutMs } : {}),
      });
      this.books.set(sym.native, book);
    }
    return book;
  }

  /**
   * The book asks for a snapshot: resubscribe, unless the plan's subscription is still to bring
   * the first one (then only the next request, after the core's timeout, resubscribes).
   */
  private requestBook(native: string): Promise<undefined> {
    if (!this.closed && !this.initial.delete(native)) this.resubscribe(native);
    return Promise.resolve(undefined);
  }

  private resubscribe(native: string): void {
    const depth = this.depths.get(native) ?? this.options.depth;
    if (this.protocol === 'v1') {
      this.ctx.sendPaced(v1BookRequest('unsubscribe', native, depth, REQ.resync), v1BookRequest('subscribe', native, depth, REQ.resync));
      return;
    }
    const params = (method: string) =>
      JSON.stringify({
        method,
        params: { channel: 'book', symbol: [native], depth, ...(method === 'subscribe' ? { snapshot: true } : {}) },
        req_id: REQ.resync,
      });
    this.ctx.sendPaced(params('unsubscribe'), params('subscribe'));
  }

  /**
   * A refused request (a warning, not a malformed frame): a resync's book subscription leaves the
   * book's snapshot request open until the core's timeout asks again (with backoff); any other
   * subscription — trade, ticker, or the first one of a book (no book exists yet, so nothing else
   * would ever ask again) — is retried for that symbol alone with backoff; a refusal naming no
   * symbol refuses the connection's subscriptions: a fresh connection retries.
   */
  private refused(e: Extract<KrakenEvent, { kind: 'refused' }>): void {
    if (e.method === 'unsubscribe') return this.ctx.skipped(); // resync of a book the venue had dropped
    const channel = e.channel ?? (e.reqId !== undefined ? CHANNEL_OF_REQ[e.reqId] : undefined);
    this.ctx.warn(`kraken refused ${e.method}${channel ? ` ${channel}` : ''}${e.native ? ` ${e.native}` : ''}: ${e.error.slice(0, 120)}`);
    if (e.method !== 'subscribe' || channel === 'heartbeat') return;
    const sym = e.native !== undefined ? this.ctx.byNative.get(e.native) : undefined;
    if (!sym || channel === undefined) return this.ctx.rotate(`subscription refused: ${e.error.slice(0, 120)}`);
    if (channel !== 'trade' && channel !== 'ticker' && channel !== 'book') return;
    if (channel === 'book' && this.books.has(sym.native)) return;
    const key = `${channel}|${sym.native}`;
    const attempt = (this.retries.get(key) ?? 0) + 1;
    this.retries.set(key, attempt);
    const delay = Math.min(60_000, 1000 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.closed || (channel === 'book' && this.books.has(sym.native))) return;
      this.ctx.sendPaced(this.subscribeFrame(channel, sym.native));
    }, delay);
    timer.unref?.();
    this.timers.add(timer);
  }

  /** A subscribe of one symbol's channel, with its snapshot. */
  private subscribeFrame(channel: 'book' | 'trade' | 'ticker', native: string): string {
    const depth = this.depths.get(native) ?? this.options.depth;
    if (channel === 'book' && this.protocol === 'v1') return v1BookRequest('subscribe', native, depth, REQ.book);
    const extra = channel === 'ticker' ? { event_trigger: 'bbo' } : channel === 'book' ? { depth } : {};
    return JSON.stringify({ method: 'subscribe', params: { channel, symbol: [native], ...extra, snapshot: true }, req_id: REQ[channel] });
  }
}
