import type { BookHandle, BookOptions, BookSnapshot } from '../../books/book.types';
import type { CarriedSymbol, SessionContext, VenueSession } from '../venue-adapter';
import type { OkxAdapter } from './okx.adapter';
import {
  asBbo,
  asBookData,
  asTrade,
  isSequenceReset,
  OKX_BOOK_CHANNELS,
  okxBookChecksum,
  okxContinuity,
  parseRestBooks,
} from './okx.protocol';

/** `subscribe`/`unsubscribe` requests per connection and hour (OKX: 480; a few kept in reserve). */
export const OKX_OPS_PER_HOUR = 470;
const HOUR_MS = 3_600_000;

/**
 * One OKX connection: the hot path (`onFrame`) and per-symbol re-snapshots.
 *
 * Books start from the snapshot OKX pushes on subscribe (`action: snapshot`, `prevSeqId: -1`), or,
 * when the venue pushes no WebSocket snapshot (the announced REST mode: the first `books` push
 * after subscribing is an update) or the adapter is configured so, from `GET /api/v5/market/books`
 * with its `seqId`. A symbol that must resync gets a fresh WebSocket snapshot by unsubscribe +
 * subscribe of its `books` channel alone (batched, paced, counted against the 480 requests per
 * hour; the connection rotates before the budget runs out), or a fresh REST snapshot in REST mode.
 * The book waits for the pushed snapshot (`snapshotViaWs`) and verifies its checksum (core).
 */
export class OkxSession implements VenueSession {
  private readonly books = new Map<string, BookHandle>();
  /** Book subscriptions of the connection plan that have not pushed anything yet (their snapshot is on the way). */
  private readonly initial = new Set<string>();
  private readonly resubscribe = new Set<string>();
  private resubscribeTimer: NodeJS.Timeout | undefined;
  /** Send times of subscribe/unsubscribe requests within the last hour. */
  private readonly ops: number[] = [];
  private lastFrameMs = Date.now();
  private closed = false;
  /** Where books start: `ws` until the venue shows it pushes no WebSocket snapshot. */
  snapshotSource: 'ws' | 'rest';

  constructor(
    private readonly ctx: SessionContext,
    private readonly adapter: OkxAdapter,
  ) {
    this.snapshotSource = adapter.snapshotSource;
  }

  onOpen(): void {
    // The plan's subscriptions count against the hourly budget; their books snapshots are on the way.
    const now = Date.now();
    const symbols = [...this.ctx.byNative.values()];
    for (let i = 0; i < this.adapter.requestsFor(symbols); i++) this.ops.push(now);
    for (const s of symbols) if (s.channels.includes('l2') && this.snapshotSource === 'ws') this.initial.add(s.native);
  }

  onClose(): void {
    this.closed = true;
    if (this.resubscribeTimer) clearTimeout(this.resubscribeTimer);
  }

  /** OKX: send "ping" when nothing arrived for a while (the venue closes connections silent for 30 s). */
  keepalive(): void {
    if (Date.now() - this.lastFrameMs >= this.adapter.pingAfterMs) this.ctx.send('ping');
  }

  onFrame(text: string, recvUs: number): void {
    this.lastFrameMs = recvUs / 1000;
    if (text === 'pong') return;
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return this.ctx.parseError(text, 'not JSON');
    }
    if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return this.ctx.parseError(text, 'not an object');
    const arg = msg['arg'] as { channel?: unknown; instId?: unknown } | undefined;
    if (typeof msg['event'] === 'string') return this.event(text, msg);
    if (!arg || typeof arg.channel !== 'string' || typeof arg.instId !== 'string' || !Array.isArray(msg['data']))
      return this.ctx.parseError(text, 'push without arg.channel/arg.instId/data');
    const sym = this.ctx.byNative.get(arg.instId);
    if (!sym) return this.ctx.skipped();
    const data = msg['data'] as unknown[];
    const channel = arg.channel;
    if (OKX_BOOK_CHANNELS.has(channel)) {
      if (!sym.channels.includes('l2')) return this.ctx.skipped();
      return this.bookPush(text, sym, msg['action'], data, recvUs);
    }
    if (channel === 'trades') return this.trades(text, sym, data, recvUs);
    if (channel === 'bbo-tbt') return this.bbo(text, sym, data, recvUs);
    this.ctx.skipped();
  }

  private event(text: string, msg: Record<string, unknown>): void {
    const event = msg['event'];
    if (event === 'notice' && String(msg['code']) === '64008') {
      // "The connection will soon be closed for a service upgrade": make-before-break now.
      this.ctx.rotate('OKX 64008 service upgrade notice');
      return;
    }
    if (event === 'error') {
      // A refused request (60014 too frequent, 60018 unknown channel…): a fresh connection subscribes again.
      this.ctx.warn(`okx refused a request: ${text.slice(0, 200)}`);
      this.ctx.rotate(`request refused: ${String(msg['code'])} ${String(msg['msg']).slice(0, 100)}`);
      return;
    }
    this.ctx.skipped(); // subscribe/unsubscribe acks, channel-conn-count…
  }

  private bookPush(text: string, sym: CarriedSymbol, action: unknown, data: unknown[], recvUs: number): void {
    for (const entry of data) {
      const d = asBookData(entry);
      if (typeof d === 'string') return this.ctx.parseError(text, d);
      const book = this.bookOf(sym);
      if (action === 'snapshot') {
        this.initial.delete(sym.native);
        // A non-zero checksum is verified by the core: a snapshot that fails is checksum_mismatch, never published.
        book.snapshot({
          seq: d.seqId,
          bids: d.bids,
          asks: d.asks,
          ts: d.ts,
          recvTs: recvUs,
          ...(d.checksum !== 0 ? { checksum: d.checksum } : {}),
        });
        continue;
      }
      if (action !== 'update') return this.ctx.parseError(text, `books action ${String(action)}`);
      if (this.initial.delete(sym.native) && this.snapshotSource === 'ws') {
        // The subscription's first push is an update: this venue starts books from REST (seqId).
        this.snapshotSource = 'rest';
      }
      if (isSequenceReset(d)) {
        book.resync(`sequence reset (seqId ${d.seqId} < prevSeqId ${d.prevSeqId})`);
        continue;
      }
      // A keepalive (no levels, seqId == prevSeqId) that continues a live book changes nothing.
      if (d.seqId === d.prevSeqId && d.bids.length === 0 && d.asks.length === 0 && book.state === 'live' && book.seq === d.seqId) continue;
      book.update({
        first: d.seqId,
        last: d.seqId,
        prev: d.prevSeqId,
        bids: d.bids,
        asks: d.asks,
        ...(d.checksum !== 0 ? { checksum: d.checksum } : {}),
        ts: d.ts,
        recvTs: recvUs,
      });
    }
  }

  private trades(text: string, sym: CarriedSymbol, data: unknown[], recvUs: number): void {
    for (const entry of data) {
      const t = asTrade(entry);
      if (typeof t === 'string') return this.ctx.parseError(text, t);
      this.ctx.trade(sym, { id: t.tradeId, price: t.px, size: t.sz, side: t.side, ts: t.ts, recvTs: recvUs });
    }
  }

  private bbo(text: string, sym: CarriedSymbol, data: unknown[], recvUs: number): void {
    for (const entry of data) {
      const b = asBbo(entry);
      if (typeof b === 'string') return this.ctx.parseError(text, b);
      // A one-sided book has no top of book to publish.
      if (!b.bid || !b.ask) continue;
      this.ctx.topOfBook(sym, {
        bidPx: b.bid[0],
        bidSz: b.bid[1],
        askPx: b.ask[0],
        askSz: b.ask[1],
        ...(b.seqId !== undefined ? { seq: b.seqId } : {}),
        ts: b.ts,
        recvTs: recvUs,
      });
    }
  }

  private bookOf(sym: CarriedSymbol): BookHandle {
    let book = this.books.get(sym.native);
    if (!book) {
      const options: BookOptions = {
        continuity: okxContinuity,
        checksum: (view, u) => okxBookChecksum(view) === u.checksum,
        requestSnapshot: () => this.requestSnapshot(sym),
        snapshotViaWs: true,
        snapshotTimeoutMs: this.adapter.snapshotTimeoutMs,
      };
      book = this.ctx.book(sym, options);
      this.books.set(sym.native, book);
    }
    return book;
  }

  private async requestSnapshot(sym: CarriedSymbol): Promise<BookSnapshot | undefined> {
    if (this.snapshotSource === 'rest') {
      const depth = Math.min(this.ctx.settings.bookDepth, 400);
      const url = `${this.ctx.settings.restUrl}/api/v5/market/books?instId=${encodeURIComponent(sym.native)}&sz=${depth}`;
      const body = await this.ctx.rest.getJson({ url, weight: 1, purpose: 'snapshot' });
      const snap = parseRestBooks(body, Date.now() * 1000);
      if (snap === 'no seqId') {
        // This venue's REST books cannot continue the stream: WebSocket snapshots again.
        this.snapshotSource = 'ws';
      } else if (typeof snap === 'string') {
        throw new Error(snap);
      } else {
        return snap;
      }
    }
    return this.wsSnapshot(sym);
  }

  /**
   * A WebSocket snapshot: the plan's subscription brings the first one; later requests (a resync,
   * or the core's timeout) resubscribe. The book waits for the push (`snapshotViaWs`).
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

  /** One unsubscribe and one subscribe for every book waiting (each request carries ≤ the adapter's args). */
  private flushResubscribe(): void {
    this.resubscribeTimer = undefined;
    if (this.closed || this.resubscribe.size === 0) return;
    const natives = [...this.resubscribe];
    this.resubscribe.clear();
    const now = Date.now();
    while (this.ops.length && now - (this.ops[0] as number) >= HOUR_MS) this.ops.shift();
    const frames = this.adapter.resubscribeFrames(natives);
    if (this.ops.length + frames.length > OKX_OPS_PER_HOUR) {
      // A new connection starts with a fresh budget and subscribes (and snapshots) everything.
      this.ctx.rotate(`subscribe budget of ${OKX_OPS_PER_HOUR} requests per hour used up`);
      return;
    }
    for (let i = 0; i < frames.length; i++) this.ops.push(now);
    this.ctx.sendPaced(...frames);
  }
}
