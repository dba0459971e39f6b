import type { BookHandle, BookOptions, BookSnapshot, BookView, Continuity } from '../../books/book.types';
import type { CarriedSymbol, SessionContext, VenueSession } from '../venue-adapter';
import type { CoinbaseAdapter } from './coinbase.adapter';
import {
  asHeartbeat,
  asL2Update,
  asMatch,
  asSnapshot,
  asTicker,
  parseProductBook,
  productIdIn,
  subscribeMessage,
} from './coinbase.protocol';
import { AuditWindow } from './coinbase-audit';
import { type LostTrades, TradeIdTracker } from './coinbase-trade-ids';

type Book = BookHandle & Partial<BookView>;

/** The book's own continuity: the session numbers updates itself (Coinbase sends none), so a hole is one it made on purpose. */
export function localContinuity(bookSeq: number, u: { first: number; last: number }): Continuity {
  if (u.last <= bookSeq) return 'stale';
  if (u.first > bookSeq + 1) return 'gap';
  return 'apply';
}

interface PendingSnapshot {
  resolve(s: BookSnapshot): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

interface RunningAudit {
  window: AuditWindow;
  /** Snapshots of the product when the audit started: a snapshot in between makes it inconclusive. */
  epoch: number;
}

/** Frame types that never change a book (a malformed one of these cannot have lost a book update). */
const NOT_BOOK = new Set(['match', 'last_match', 'ticker', 'heartbeat', 'subscriptions', 'error']);
/** Every type the feed sends us: a type cut short is known when every type it may begin is. */
const KNOWN_TYPES = [...NOT_BOOK, 'l2update', 'snapshot'];

/**
 * The `type` of a frame from whatever text survived: the full name, or a name cut short that only
 * one kind of message begins with (`"mat` → match, but `"` or `"l` could be `l2update` or
 * `last_match`: undefined, unknown).
 */
export function frameType(text: string): string | undefined {
  const m = /"type"\s*:\s*"([a-z_0-9]*)("?)/.exec(text);
  if (!m) return undefined;
  const name = m[1] as string;
  if (m[2]) return name;
  const candidates = KNOWN_TYPES.filter((t) => t.startsWith(name));
  if (candidates.length === 1) return candidates[0];
  // Cut inside the name of several types: known when none of them is a book message.
  return candidates.length > 0 && candidates.every((t) => NOT_BOOK.has(t)) ? (candidates[0] as string) : undefined;
}

/** A `trade_id` written in full in the text (followed by `,` or `}`: a number cut short is no id). */
function tradeIdIn(text: string): number | undefined {
  const m = /"trade_id"\s*:\s*(\d{1,15})\s*[,}]/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * One Coinbase connection: the hot path (`onFrame`), WebSocket re-snapshots per product
 * (unsubscribe + subscribe of its book channel: the venue answers with a fresh `snapshot`), the
 * trade-id checks, and the periodic REST audit of its books.
 *
 * Book sequence: `l2update` carries none, so the session numbers updates itself. A snapshot takes
 * the receive time in µs (or the next number, if larger) and each update the next number, so
 * `seq` grows across reconnects and updates received before a snapshot are stale against it
 * (the snapshot always replaces the book; never merged). A confirmed hole in the trade ids is a
 * hole in that numbering (`md.status gap`, then the book resyncs).
 */
export class CoinbaseSession implements VenueSession {
  private readonly books = new Map<string, Book>();
  private readonly counters = new Map<string, number>();
  private readonly epochs = new Map<string, number>();
  private readonly pending = new Map<string, PendingSnapshot>();
  private readonly resubscribe = new Set<string>();
  /** Per product: resubscribes sent whose snapshot has not arrived (one destroyed on the way stays counted). */
  private readonly outstanding = new Map<string, number>();
  private readonly tradeIds = new TradeIdTracker();
  private readonly mismatches = new Map<string, number>();
  /** Per product with a book: the top of book last published as L1 (`bidPx bidSz askPx askSz`). */
  private readonly tops = new Map<string, string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private lastFlush = 0;
  private auditTimer: NodeJS.Timeout | undefined;
  private audit: RunningAudit | undefined;
  private auditCursor = 0;
  private reaudit: string | undefined;
  private closed = false;

  constructor(
    private readonly ctx: SessionContext,
    private readonly adapter: CoinbaseAdapter,
  ) {}

  onOpen(): void {
    const audit = this.adapter.auditOptions;
    if (!audit) return;
    const books = [...this.ctx.byNative.values()].filter((s) => s.channels.includes('l2')).length;
    if (books === 0) return;
    // Spread each book's audit over the interval (one request at a time per connection).
    const every = Math.min(audit.intervalMs, Math.max(audit.minSpacingMs, audit.intervalMs / books));
    this.auditTimer = setInterval(() => this.auditNext(), every);
    this.auditTimer.unref?.();
  }

  onClose(): void {
    this.closed = true;
    if (this.auditTimer) clearInterval(this.auditTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  onFrame(text: string, recvUs: number): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return this.malformed(text, 'not JSON');
    }
    if (!msg || typeof msg !== 'object') return this.malformed(text, 'not an object');
    switch (msg['type']) {
      case 'l2update':
        return this.l2update(text, msg, recvUs);
      case 'snapshot':
        return this.snapshot(text, msg, recvUs);
      case 'match':
      case 'last_match':
        return this.match(text, msg, recvUs);
      case 'ticker':
        return this.ticker(text, msg, recvUs);
      case 'heartbeat':
        return this.heartbeat(text, msg, recvUs);
      case 'error':
        return this.venueError(text, msg);
      default:
        // `subscriptions` acks and message types added later ("clients are expected to ignore" them).
        this.ctx.skipped();
    }
  }

  /** Test and replay access: the trade-id tracker of this connection. */
  get trades(): TradeIdTracker {
    return this.tradeIds;
  }

  private carried(product: unknown, channel: 'l2' | 'trades' | 'l1'): CarriedSymbol | undefined {
    const sym = typeof product === 'string' ? this.ctx.byNative.get(product) : undefined;
    if (!sym || !sym.channels.includes(channel)) {
      this.ctx.skipped();
      return undefined;
    }
    return sym;
  }

  private l2update(text: string, msg: Record<string, unknown>, recvUs: number): void {
    const u = asL2Update(msg);
    if (typeof u === 'string') return this.malformed(text, u, msg['product_id']);
    const sym = this.carried(u.product_id, 'l2');
    if (!sym) return;
    const seq = this.next(u.product_id);
    if (this.audit?.window.product === u.product_id) this.audit.window.touch(u.bids, u.asks);
    this.bookOf(sym).update({ first: seq, last: seq, bids: u.bids, asks: u.asks, ts: u.ts, recvTs: recvUs });
    this.publishTop(sym, u.ts, recvUs);
  }

  private snapshot(text: string, msg: Record<string, unknown>, recvUs: number): void {
    const s = asSnapshot(msg);
    if (typeof s === 'string') return this.malformed(text, s, msg['product_id']);
    const sym = this.carried(s.product_id, 'l2');
    if (!sym) return;
    const answering = this.outstanding.get(s.product_id) ?? 0;
    if (answering > 0) this.outstanding.set(s.product_id, answering - 1);
    if (answering > 0 && !this.pending.has(s.product_id) && this.books.get(s.product_id)?.state === 'live') {
      // The answer to a resubscribe that an earlier snapshot already satisfied (the product was asked
      // again while its snapshot was on the way): the live book is exact, a second `connected` would say nothing.
      return this.ctx.skipped();
    }
    const seq = Math.max(recvUs, (this.counters.get(s.product_id) ?? 0) + 1);
    this.counters.set(s.product_id, seq);
    this.epochs.set(s.product_id, (this.epochs.get(s.product_id) ?? 0) + 1);
    const snap: BookSnapshot = { seq, bids: s.bids, asks: s.asks, ts: Math.floor(recvUs / 1000), recvTs: recvUs };
    const pending = this.pending.get(s.product_id);
    if (pending) {
      this.pending.delete(s.product_id);
      clearTimeout(pending.timer);
      pending.resolve(snap);
      return;
    }
    this.bookOf(sym).snapshot(snap);
    this.publishTop(sym, snap.ts, recvUs);
  }

  /**
   * L1 of a product whose book is carried: the live book's best bid and ask, published when they
   * change. The `ticker` channel is sent only on a match, so between trades its best bid/ask lag the
   * book (a quiet market's L1 would stay wrong until the next trade).
   */
  private publishTop(sym: CarriedSymbol, ts: number, recvUs: number): void {
    if (!sym.channels.includes('l1')) return;
    const book = this.books.get(sym.native);
    if (!book || book.state !== 'live' || book.seq === undefined) return;
    const bid = book.top('bid', 1)[0];
    const ask = book.top('ask', 1)[0];
    if (!bid || !ask) return;
    const key = `${bid[0]} ${bid[1]} ${ask[0]} ${ask[1]}`;
    if (this.tops.get(sym.native) === key) return;
    this.tops.set(sym.native, key);
    this.ctx.topOfBook(sym, { bidPx: bid[0], bidSz: bid[1], askPx: ask[0], askSz: ask[1], seq: book.seq, ts, recvTs: recvUs });
  }

  private match(text: string, msg: Record<string, unknown>, recvUs: number): void {
    const m = asMatch(msg);
    // A lost match shows up as a hole in the trade ids at the next heartbeats.
    if (typeof m === 'string') return this.ctx.parseError(text, m);
    const sym = this.carried(m.product_id, 'trades');
    if (!sym) return;
    this.tradeIds.trade(m.product_id, m.trade_id);
    this.adapter.backfill?.trade(this.ctx, sym, m.trade_id);
    // `side` is the maker's: the taker (our `side`) is the other one. Duplicates (last_match on
    // subscribe, replays) are dropped by the core's de-duplication by trade id.
    this.ctx.trade(sym, {
      id: String(m.trade_id),
      price: m.price,
      size: m.size,
      side: m.side === 'buy' ? 'sell' : 'buy',
      ts: m.ts,
      recvTs: recvUs,
    });
  }

  private ticker(text: string, msg: Record<string, unknown>, recvUs: number): void {
    const t = asTicker(msg);
    if (typeof t === 'string') return this.ctx.parseError(text, t);
    const sym = this.carried(t.product_id, 'l1');
    if (!sym) return;
    // With the book carried, L1 follows the book (publishTop): a ticker is only as fresh as the last match.
    if (sym.channels.includes('l2')) return this.ctx.skipped();
    // Before 2022 the ticker had no sizes (the recorded capture): no L1 without them.
    if (t.best_bid_size === undefined || t.best_ask_size === undefined) return this.ctx.skipped();
    this.ctx.topOfBook(sym, {
      bidPx: t.best_bid,
      bidSz: t.best_bid_size,
      askPx: t.best_ask,
      askSz: t.best_ask_size,
      seq: t.sequence,
      ts: t.ts,
      recvTs: recvUs,
    });
  }

  private heartbeat(text: string, msg: Record<string, unknown>, recvUs: number): void {
    const h = asHeartbeat(msg);
    if (typeof h === 'string') return this.ctx.parseError(text, h);
    const sym = this.carried(h.product_id, 'trades');
    if (!sym) return;
    this.adapter.backfill?.heartbeat(this.ctx, sym, h.last_trade_id);
    const explained = this.tradeIds.explained;
    const lost = this.tradeIds.heartbeat(h.product_id, h.last_trade_id);
    this.adapter.stats.unreadableTrades += this.tradeIds.explained - explained;
    if (lost) this.tradesLost(sym, lost, recvUs);
  }

  /**
   * Trades were made that never reached us on this connection: the connection lost frames, so
   * the book of the product is suspect too. The hole is made visible as a hole in the book's own
   * numbering: the core publishes `gap`, then `resync`, and the fresh snapshot makes it `connected`.
   */
  private tradesLost(sym: CarriedSymbol, lost: LostTrades, recvUs: number): void {
    this.adapter.stats.tradeGaps++;
    this.adapter.stats.lostTrades += lost.count;
    const book = this.books.get(sym.native);
    if (!book || book.state !== 'live') return;
    const seq = this.next(sym.native) + 1;
    this.counters.set(sym.native, seq);
    book.update({ first: seq, last: seq, bids: [], asks: [], ts: Math.floor(recvUs / 1000), recvTs: recvUs });
  }

  private venueError(text: string, msg: Record<string, unknown>): void {
    const reason = String(msg['reason'] ?? msg['message'] ?? '').slice(0, 160);
    this.ctx.parseError(text, 'venue error');
    if (this.adapter.usesLevel2 && /authenticat/i.test(reason)) {
      // The credentials were refused: carry on with the public batched channel on every connection.
      this.adapter.authenticationRefused();
      for (const frame of this.adapter.connectionPlan(this.ctx.settings, [...this.ctx.byNative.values()]).subscribe) this.ctx.send(frame);
      return;
    }
    if (/subscribe/i.test(String(msg['message'] ?? ''))) this.ctx.rotate(`subscription refused: ${reason}`);
  }

  /**
   * A frame we could not read (counted and logged by the core). What it was is read from the text
   * that survived (`"type"` comes first on every Coinbase message, `product_id` second on book messages):
   * - a type that never changes a book (`match`, `ticker`, `heartbeat`, `subscriptions`…) touches no
   *   book. An unreadable `match` is noted by the trade-id check, so the hole it leaves (the trade is
   *   backfilled over REST) is not taken for frames the connection lost;
   * - otherwise it may have been a book update: a live book it may belong to (the product it names, or
   *   every book of the connection when it names none) is resynced. A book already waiting for its
   *   snapshot is not asked again — the snapshot comes after this frame and replaces the book —
   *   unless the frame may have been that very snapshot (`snapshot`, or a type cut off).
   */
  private malformed(text: string, reason: string, product?: unknown): void {
    this.ctx.parseError(text, reason);
    const type = frameType(text);
    const named = typeof product === 'string' ? product : productIdIn(text);
    if (type !== undefined && NOT_BOOK.has(type)) {
      if (type === 'match') this.tradeIds.unreadable(named, tradeIdIn(text));
      return;
    }
    // A snapshot destroyed on its way: its resubscribe is answered (for nothing).
    if (type === 'snapshot' && named !== undefined && (this.outstanding.get(named) ?? 0) > 0)
      this.outstanding.set(named, (this.outstanding.get(named) as number) - 1);
    const mayBeSnapshot = type === undefined || type === 'snapshot';
    const mayBeUpdate = type !== 'snapshot';
    const why =
      named === undefined ? `unreadable ${type ?? 'frame'} naming no product (${reason})` : `unreadable ${type ?? 'frame'} (${reason})`;
    for (const [p, book] of this.books) {
      if (named !== undefined && p !== named) continue;
      const live = book.state === 'live';
      if ((live && mayBeUpdate) || (!live && mayBeSnapshot && this.pending.has(p))) book.resync(why);
    }
  }

  private next(product: string): number {
    const seq = (this.counters.get(product) ?? 0) + 1;
    this.counters.set(product, seq);
    return seq;
  }

  private bookOf(sym: CarriedSymbol): Book {
    let book = this.books.get(sym.native);
    if (!book) {
      const options: BookOptions = {
        continuity: localContinuity,
        requestSnapshot: () => this.requestSnapshot(sym.native),
      };
      book = this.ctx.book(sym, options) as Book;
      this.books.set(sym.native, book);
    }
    return book;
  }

  /** A fresh WebSocket snapshot: unsubscribe + subscribe the product's book channel (batched per tick, paced). */
  private requestSnapshot(product: string): Promise<BookSnapshot> {
    this.pending.get(product)?.reject(new Error('superseded'));
    return new Promise<BookSnapshot>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.get(product)?.timer !== timer) return;
        this.pending.delete(product);
        reject(new Error(`no snapshot within ${this.adapter.snapshotTimeoutMs} ms of resubscribing`));
      }, this.adapter.snapshotTimeoutMs);
      timer.unref?.();
      this.pending.set(product, { resolve, reject, timer });
      this.resubscribe.add(product);
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.closed) return;
    const wait = Math.max(0, this.lastFlush + this.adapter.resubscribeSpacingMs - Date.now());
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.lastFlush = Date.now();
      const products = [...this.resubscribe];
      this.resubscribe.clear();
      if (products.length === 0 || this.closed) return;
      for (const p of products) this.outstanding.set(p, (this.outstanding.get(p) ?? 0) + 1);
      const channel = [{ name: this.adapter.bookChannel, product_ids: products }];
      this.ctx.send(subscribeMessage('unsubscribe', channel));
      this.ctx.send(subscribeMessage('subscribe', channel, this.adapter.subscribeCredentials));
    }, wait);
    this.flushTimer.unref?.();
  }

  private auditNext(): void {
    if (this.audit || this.closed) return;
    const live = [...this.books.entries()].filter(([, b]) => b.state === 'live' && typeof b.top === 'function');
    if (live.length === 0) return;
    let product = this.reaudit;
    this.reaudit = undefined;
    if (product === undefined || !live.some(([p]) => p === product)) {
      product = (live[this.auditCursor++ % live.length] as [string, Book])[0];
    }
    const options = this.adapter.auditOptions;
    if (!options) return;
    const running: RunningAudit = { window: new AuditWindow(product), epoch: this.epochs.get(product) ?? 0 };
    this.audit = running;
    const stats = this.adapter.stats.audit;
    stats.requests++;
    const url = `${this.ctx.settings.restUrl}/products/${product}/book?level=${options.level}`;
    this.ctx.rest.getJson({ url, weight: 1, purpose: 'audit' }).then(
      (body) => {
        const venue = parseProductBook(body);
        if (typeof venue === 'string') return this.endAudit(running, () => stats.failed++);
        const t = setTimeout(() => this.endAudit(running, () => this.judge(running, venue)), options.graceMs);
        t.unref?.();
      },
      () => this.endAudit(running, () => stats.failed++),
    );
  }

  private endAudit(running: RunningAudit, finish: () => void): void {
    if (this.audit !== running) return;
    this.audit = undefined;
    if (!this.closed) finish();
  }

  private judge(running: RunningAudit, venue: ReturnType<typeof parseProductBook> & object): void {
    const stats = this.adapter.stats.audit;
    const product = running.window.product;
    const book = this.books.get(product);
    if (!book || book.state !== 'live' || typeof book.top !== 'function' || (this.epochs.get(product) ?? 0) !== running.epoch) {
      stats.inconclusive++;
      return;
    }
    const verdict = running.window.judge(book as BookView, venue);
    if (verdict.result === 'inconclusive') {
      stats.inconclusive++;
      return;
    }
    if (verdict.result === 'match') {
      stats.matched++;
      this.mismatches.delete(product);
      return;
    }
    stats.mismatched++;
    const count = (this.mismatches.get(product) ?? 0) + 1;
    const needed = this.adapter.auditOptions?.confirmations ?? 2;
    if (count < needed) {
      this.mismatches.set(product, count);
      this.reaudit = product;
      return;
    }
    this.mismatches.delete(product);
    stats.resyncs++;
    book.resync(`REST audit: ${verdict.detail} (${count} audits in a row)`);
  }
}
