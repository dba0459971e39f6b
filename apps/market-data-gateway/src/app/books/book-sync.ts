import { Backoff } from '@cryptoscalp/circuit-breaker';
import { DecimalBook } from '@cryptoscalp/market';
import type { FeedState } from '@cryptoscalp/messaging';

import type { BookHandle, BookOptions, BookSnapshot, BookState, BookUpdate, BookView, FailureKind, LevelIn } from './book.types';

/** An L2 message body before the core adds `v`, venue and symbol. */
export interface L2Body {
  snapshot: boolean;
  bids: readonly LevelIn[];
  asks: readonly LevelIn[];
  seq: number;
  prevSeq?: number;
  ts: number;
  recvTs: number;
}

/** Where a book's results go (the core's publisher, or the replay counters). */
export interface BookOutput {
  l2(body: L2Body): void;
  status(state: FeedState, reason: string): void;
  /** A problem worth a log line (rate-limited by the caller). */
  warn(message: string): void;
  /** A venue checksum was checked (updates, snapshots, and mismatches the adapter found with `fail`). */
  checksum?(ok: boolean): void;
}

export interface BookCounters {
  snapshots: number;
  snapshotRequests: number;
  /** Snapshots older than the first buffered update (fetched again, not an error). */
  staleSnapshots: number;
  updates: number;
  staleUpdates: number;
  gaps: number;
  resyncs: number;
  checksumOk: number;
  checksumMismatch: number;
  crossed: number;
  bufferOverflows: number;
}

export interface BookSyncOptions {
  /** Updates kept while waiting for a snapshot; beyond it the buffer restarts (default 50,000). */
  maxBuffered?: number;
  backoff?: { initialDelayMs: number; maxDelayMs: number };
}

/**
 * The per-symbol book state machine (see BookHandle). Plain TypeScript on the hot path: one
 * continuity check, the level writes, one crossed check, one publish per update.
 */
export class BookSync implements BookHandle, BookView {
  private current: BookState = 'unsynced';
  private bookSeq: number | undefined;
  private readonly book = new DecimalBook();
  private buffer: BookUpdate[] = [];
  private gen = 0;
  private pending: number | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private closed = false;
  private lastTs = 0;
  readonly counters: BookCounters = {
    snapshots: 0,
    snapshotRequests: 0,
    staleSnapshots: 0,
    updates: 0,
    staleUpdates: 0,
    gaps: 0,
    resyncs: 0,
    checksumOk: 0,
    checksumMismatch: 0,
    crossed: 0,
    bufferOverflows: 0,
  };

  constructor(
    private readonly options: BookOptions,
    private readonly out: BookOutput,
    private readonly syncOptions: BookSyncOptions = {},
  ) {
    this.backoff = new Backoff(syncOptions.backoff ?? { initialDelayMs: 250, maxDelayMs: 30_000 });
    if (options.snapshotOnStart) {
      this.current = 'buffering';
      this.request();
    }
  }

  get state(): BookState {
    return this.current;
  }

  get seq(): number {
    return this.bookSeq ?? 0;
  }

  get isLive(): boolean {
    return this.current === 'live';
  }

  /** Exchange time of the last applied change (ms). */
  get ts(): number {
    return this.lastTs;
  }

  top(side: 'bid' | 'ask', n: number): LevelIn[] {
    return this.book.top(side, n);
  }

  levelCount(side: 'bid' | 'ask'): number {
    return side === 'bid' ? this.book.bidCount : this.book.askCount;
  }

  update(u: BookUpdate): void {
    if (this.closed) return;
    if (this.current === 'live') {
      this.applyLive(u);
      return;
    }
    if (this.current === 'unsynced') this.current = 'buffering';
    this.bufferUpdate(u);
  }

  snapshot(s: BookSnapshot): void {
    // A snapshot pushed on the WebSocket comes after every update buffered on the same connection:
    // they are older (a venue whose sequence restarts per subscription, Bybit, would otherwise look
    // like a snapshot older than the stream).
    if (this.options.snapshotViaWs && this.buffer.length) {
      this.counters.staleUpdates += this.buffer.length;
      this.buffer = [];
    }
    this.load(s);
  }

  private load(s: BookSnapshot): void {
    if (this.closed) return;
    // Whatever was outstanding is superseded: a snapshot always replaces the book.
    this.pending = undefined;
    this.clearRetry();
    this.counters.snapshots++;
    const wasLive = this.current === 'live';
    try {
      this.book.load(s.bids, s.asks);
    } catch (err) {
      this.out.warn(`snapshot rejected: ${(err as Error).message}`);
      this.restart('resync', 'invalid snapshot', []);
      return;
    }
    this.bookSeq = s.seq;
    this.lastTs = s.ts;
    if (this.options.truncateTo !== undefined) this.book.truncate(this.options.truncateTo);
    // The snapshot's own checksum (Kraken v2, OKX): a snapshot that does not verify is never published.
    if (
      s.checksum !== undefined &&
      !this.verify({ first: s.seq, last: s.seq, bids: s.bids, asks: s.asks, checksum: s.checksum, ts: s.ts, recvTs: s.recvTs })
    )
      return;
    let recvTs = s.recvTs;
    const buffered = this.buffer;
    this.buffer = [];
    let first = true;
    for (let i = 0; i < buffered.length; i++) {
      const u = buffered[i] as BookUpdate;
      const c = this.options.continuity(this.bookSeq, u);
      if (c === 'stale') continue;
      if (c === 'gap') {
        const rest = buffered.slice(i);
        if (first) {
          // The snapshot is older than the stream we hold: fetch another (documented, not a gap).
          this.counters.staleSnapshots++;
          if (wasLive) this.current = 'resyncing';
          this.buffer = rest;
          this.request();
        } else {
          this.counters.gaps++;
          this.out.status('gap', `buffered update ${u.first}..${u.last} does not follow ${this.bookSeq}`);
          this.restart('resync', 'gap in buffered updates', rest);
        }
        return;
      }
      first = false;
      if (!this.applyLevels(u)) return;
      this.bookSeq = u.last;
      this.lastTs = u.ts;
      recvTs = u.recvTs;
      if (this.options.truncateTo !== undefined) this.book.truncate(this.options.truncateTo);
      if (!this.verify(u)) return;
    }
    if (this.book.isCrossed()) {
      this.counters.crossed++;
      this.restart('resync', 'crossed book after snapshot', []);
      return;
    }
    this.current = 'live';
    this.backoff.reset();
    this.out.l2({ snapshot: true, bids: this.book.top('bid'), asks: this.book.top('ask'), seq: this.bookSeq, ts: this.lastTs, recvTs });
    this.out.status('connected', wasLive ? 'snapshot replaced the book' : 'book synced');
  }

  resync(reason: string): void {
    if (this.closed) return;
    this.restart('resync', reason, []);
  }

  fail(kind: FailureKind, reason: string): void {
    if (this.closed) return;
    if (kind === 'gap') this.counters.gaps++;
    else {
      this.counters.checksumMismatch++;
      this.out.checksum?.(false);
    }
    this.out.status(kind, reason);
    this.restart('resync', reason, []);
  }

  /** The connection carrying this book closed, or the feed stops: no more requests, no more output. */
  close(): void {
    this.closed = true;
    this.current = 'unsynced';
    this.buffer = [];
    this.pending = undefined;
    this.clearRetry();
  }

  /** Publishes the current book as a snapshot (after a publishing outage or a switch of connection). */
  republish(recvTs: number): boolean {
    if (this.current !== 'live') return false;
    this.out.l2({ snapshot: true, bids: this.book.top('bid'), asks: this.book.top('ask'), seq: this.seq, ts: this.lastTs, recvTs });
    return true;
  }

  private applyLive(u: BookUpdate): void {
    const prevSeq = this.bookSeq as number;
    const c = this.options.continuity(prevSeq, u);
    if (c === 'stale') {
      this.counters.staleUpdates++;
      return;
    }
    if (c === 'gap') {
      this.counters.gaps++;
      this.out.status('gap', `update ${u.first}..${u.last} does not follow ${prevSeq}`);
      // The update that showed the gap is the first one the next snapshot may need.
      this.restart('resync', 'sequence gap', [u]);
      return;
    }
    if (!this.applyLevels(u)) return;
    this.bookSeq = u.last;
    this.lastTs = u.ts;
    if (this.options.truncateTo !== undefined) this.book.truncate(this.options.truncateTo);
    if (!this.verify(u)) return;
    if (this.book.isCrossed()) {
      this.counters.crossed++;
      this.restart('resync', `crossed book at ${u.last}`, []);
      return;
    }
    this.counters.updates++;
    this.out.l2({ snapshot: false, bids: u.bids, asks: u.asks, seq: u.last, prevSeq, ts: u.ts, recvTs: u.recvTs });
  }

  private applyLevels(u: BookUpdate): boolean {
    try {
      for (const l of u.bids) this.book.setLevel('bid', l);
      for (const l of u.asks) this.book.setLevel('ask', l);
      return true;
    } catch (err) {
      this.out.warn(`update ${u.last} rejected: ${(err as Error).message}`);
      this.restart('resync', 'invalid level in update', []);
      return false;
    }
  }

  private verify(u: BookUpdate): boolean {
    if (!this.options.checksum || u.checksum === undefined) return true;
    if (this.options.checksum(this, u)) {
      this.counters.checksumOk++;
      this.out.checksum?.(true);
      return true;
    }
    this.counters.checksumMismatch++;
    this.out.checksum?.(false);
    this.out.status('checksum_mismatch', `checksum ${u.checksum} does not match the book at ${u.last}`);
    this.restart('resync', 'checksum mismatch', []);
    return false;
  }

  private bufferUpdate(u: BookUpdate): void {
    const max = this.syncOptions.maxBuffered ?? 50_000;
    if (this.buffer.length >= max) {
      // A snapshot that never comes must not cost unbounded memory: start over from this update.
      this.counters.bufferOverflows++;
      this.buffer = [];
      this.out.warn(`more than ${max} updates buffered while waiting for a snapshot; buffer restarted`);
    }
    this.buffer.push(u);
    this.request();
  }

  /** Resync: status `resync`, book no longer published, buffer `keep`, fresh snapshot. */
  private restart(_state: 'resync', reason: string, keep: BookUpdate[]): void {
    this.counters.resyncs++;
    this.current = 'resyncing';
    this.buffer = keep;
    this.out.status('resync', reason);
    this.pending = undefined;
    this.request();
  }

  private request(): void {
    if (this.pending !== undefined || this.retryTimer || this.closed) return;
    const gen = ++this.gen;
    this.pending = gen;
    this.counters.snapshotRequests++;
    let promise: Promise<BookSnapshot | undefined>;
    try {
      promise = this.options.requestSnapshot();
    } catch (err) {
      promise = Promise.reject(err as Error);
    }
    promise.then(
      (s) => {
        if (this.pending !== gen || this.closed) return;
        if (s) {
          this.pending = undefined;
          this.load(s);
        } else if (this.options.snapshotViaWs) {
          // The venue pushes the snapshot: the request stays open until it arrives (or times out).
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            if (this.closed) return;
            if (this.pending === gen) this.retryLater(gen, `no snapshot within ${this.options.snapshotTimeoutMs ?? 10_000} ms`);
            // A resync while waiting superseded the request: ask now.
            else if (this.pending === undefined && this.current !== 'live') this.request();
          }, this.options.snapshotTimeoutMs ?? 10_000);
          this.retryTimer.unref?.();
        } else {
          this.pending = undefined;
        }
      },
      (err: Error) => {
        if (this.pending !== gen || this.closed) return;
        this.retryLater(gen, `snapshot request failed (${err.message})`);
      },
    );
  }

  /** The snapshot request `gen` failed or timed out: ask again after a capped jittered backoff. */
  private retryLater(gen: number, why: string): void {
    if (this.pending !== gen) return;
    this.pending = undefined;
    const delay = this.backoff.next();
    this.out.warn(`${why}; retrying in ${Math.round(delay)} ms`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.current !== 'live') this.request();
    }, delay);
    this.retryTimer.unref?.();
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}
