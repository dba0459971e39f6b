/** One price level as the venue wrote it: `[price, size]`, decimal strings untouched; size `"0"` deletes. */
export type LevelIn = readonly [price: string, size: string];

export type BookState = 'unsynced' | 'buffering' | 'live' | 'resyncing';

/** A full book (REST or WebSocket snapshot). It always replaces the book: no ghost levels. */
export interface BookSnapshot {
  /** The venue's sequence of the snapshot (Binance `lastUpdateId`, OKX `seqId`, Bybit `u`). */
  seq: number;
  bids: readonly LevelIn[];
  asks: readonly LevelIn[];
  /** Exchange time (epoch ms), or receive time in ms when the venue gives none. */
  ts: number;
  recvTs: number;
  /**
   * The venue's checksum of this snapshot (Kraken v2, OKX when non-zero): verified with
   * `BookOptions.checksum` after loading (and truncating); a mismatch is `checksum_mismatch` →
   * `resync` and the snapshot is never published. Counted like update checksums.
   */
  checksum?: number;
}

/** One book update as the venue sent it (several levels: handled whole). */
export interface BookUpdate {
  /** First sequence covered (Binance `U`); equal to `last` for venues with one sequence per update. */
  first: number;
  /** Last sequence covered (Binance `u`, OKX `seqId`, Bybit `u`). */
  last: number;
  /** The venue's "previous sequence" when it sends one (OKX `prevSeqId`). */
  prev?: number;
  bids: readonly LevelIn[];
  asks: readonly LevelIn[];
  /** The venue's checksum of the book after this update, when it sends one. */
  checksum?: number;
  ts: number;
  recvTs: number;
}

/** What a sequence check decides for an update against the book's current sequence. */
export type Continuity = 'apply' | 'stale' | 'gap';

/** Read-only view of a book's best levels (for checksums and L1). */
export interface BookView {
  /** Best `n` levels of a side, best first, as received. */
  top(side: 'bid' | 'ask', n: number): LevelIn[];
  readonly seq: number;
}

/** How one venue keeps a book exact; given by the adapter when it creates the book. */
export interface BookOptions {
  /**
   * Where a snapshot comes from. Resolve with a snapshot (REST), or with `undefined` when the
   * venue will deliver one on the WebSocket (resubscribe) and the adapter calls `snapshot()`.
   * A rejection is retried with capped jittered backoff (rate limits honoured by the REST client).
   */
  requestSnapshot(): Promise<BookSnapshot | undefined>;
  /** Continuity of an update against the book's sequence (`apply`, `stale`: drop, `gap`: resync). */
  continuity(bookSeq: number, update: BookUpdate): Continuity;
  /** Verifies `update.checksum` against the book after applying it (Kraken, OKX). */
  checksum?(book: BookView, update: BookUpdate): boolean;
  /** Keep only the best N levels per side after every update (Kraken v2's subscribed depth). */
  truncateTo?: number;
  /** Request a snapshot as soon as the book is created instead of on the first update (default false). */
  snapshotOnStart?: boolean;
  /**
   * The venue delivers snapshots on the WebSocket (Kraken v2, OKX, Bybit): when `requestSnapshot`
   * resolves `undefined` (it sent a resubscription, or the subscription is still to bring the first
   * snapshot), the request stays open until `snapshot()` is called, so buffered updates do not ask
   * again; after `snapshotTimeoutMs` without one it is requested again (capped jittered backoff).
   * Without the flag, `undefined` closes the request and the next buffered update asks again.
   */
  snapshotViaWs?: boolean;
  /** With `snapshotViaWs`: how long a requested WebSocket snapshot may take (default 10 s). */
  snapshotTimeoutMs?: number;
}

/**
 * The per-symbol book state machine the core owns: unsynced → buffering (updates kept while a
 * snapshot is fetched) → live (every update checked) → resyncing (gap, checksum mismatch or crossed
 * book: this symbol alone, updates buffered again). Only a live, uncrossed book is ever published.
 */
export interface BookHandle {
  readonly state: BookState;
  /** Sequence of the book (the last applied update), undefined before the first snapshot. */
  readonly seq: number | undefined;
  /** A snapshot arrived (WebSocket venues); REST venues resolve `requestSnapshot()` instead. */
  snapshot(snapshot: BookSnapshot): void;
  /** An update arrived: buffered until synced, then checked and applied. */
  update(update: BookUpdate): void;
  /** The adapter detected a problem itself (for example a venue reset): resync this symbol. */
  resync(reason: string): void;
  /** Best `n` levels of a side, best first, as received (read-only; the book as it stands: exact while `state` is `live`). */
  top(side: 'bid' | 'ask', n: number): LevelIn[];
  /**
   * The adapter found the book wrong itself (lost update, its own checksum or audit): publishes
   * `md.status` `kind` (counted as a gap or a checksum mismatch), then resyncs this symbol alone.
   */
  fail(kind: FailureKind, reason: string): void;
}

/** What `BookHandle.fail` reports before the resync. */
export type FailureKind = 'gap' | 'checksum_mismatch';
