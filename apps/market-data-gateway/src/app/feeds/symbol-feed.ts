import type { FeedState, Venue } from '@cryptoscalp/messaging';

import type { BookSync, L2Body } from '../books/book-sync';
import type { MarketSink } from '../publishing/market-sink';
import { TradeDedup } from '../publishing/trade-dedup';
import type { CarriedSymbol, TopOfBookIn, TradeIn } from '../venues/venue-adapter';
import type { VenueMetrics } from './venue-metrics';

/** What `GET /v1/feeds` shows for one symbol. */
export type SymbolFeedState = 'connecting' | 'syncing' | 'live' | 'resyncing' | 'stale' | 'disconnected';

const EWMA = 0.2;

/**
 * One venue symbol across connections: trade de-duplication, the book currently published
 * (from the active connection), counters, activity (for the adaptive stale watchdog) and the
 * normalized messages it emits.
 */
export class SymbolFeed {
  readonly dedup = new TradeDedup();
  /** The active connection's book (`GET /v1/book`). */
  book: BookSync | undefined;
  state: SymbolFeedState = 'connecting';
  lastMessageAt = 0;
  /** When the venue last confirmed the connection idle, not broken (Kraken heartbeat): holds off `stale`. */
  idleAt = 0;
  /** Smoothed interval between messages (ms), 0 until known. */
  meanGapMs = 0;
  stale = false;
  readonly counts = { trades: 0, l1: 0, l2: 0, status: 0, duplicates: 0, gaps: 0, resyncs: 0, checksumMismatch: 0 };
  private windowStart = Date.now();
  private windowCount = 0;
  /** Messages per second over the last complete 10 s window. */
  rate = 0;

  constructor(
    readonly venue: Venue,
    readonly carried: CarriedSymbol,
    private readonly sink: MarketSink,
    private readonly metrics: VenueMetrics,
    private readonly now: () => number = Date.now,
  ) {}

  get symbol(): string {
    return this.carried.symbol;
  }

  /** Activity from the exchange for this symbol (any channel). */
  touch(): void {
    const now = this.now();
    if (this.lastMessageAt) {
      const gap = now - this.lastMessageAt;
      this.meanGapMs = this.meanGapMs === 0 ? gap : this.meanGapMs + EWMA * (gap - this.meanGapMs);
    }
    this.lastMessageAt = now;
    this.windowCount++;
    if (now - this.windowStart >= 10_000) {
      this.rate = (this.windowCount * 1000) / (now - this.windowStart);
      this.windowStart = now;
      this.windowCount = 0;
    }
    if (this.stale) {
      this.stale = false;
      if (this.state === 'stale') this.state = this.book?.isLive ? 'live' : 'syncing';
      this.status('connected', 'data resumed');
    }
  }

  trade(t: TradeIn): void {
    this.touch();
    if (!this.dedup.accept(t.id)) {
      this.counts.duplicates++;
      this.metrics.duplicateTrade();
      return;
    }
    this.counts.trades++;
    this.latency(t.ts, t.recvTs);
    this.sink.trade({
      v: 1,
      venue: this.venue,
      symbol: this.symbol,
      id: t.id,
      price: t.price,
      size: t.size,
      side: t.side,
      ts: t.ts,
      recvTs: t.recvTs,
    });
    this.metrics.out('trade');
  }

  l1(q: TopOfBookIn): void {
    this.counts.l1++;
    this.latency(q.ts, q.recvTs);
    this.sink.l1({ v: 1, venue: this.venue, symbol: this.symbol, ...q });
    this.metrics.out('l1');
  }

  /** The venue says the connection is idle, not broken: silence until now is not staleness. */
  idle(): void {
    this.idleAt = this.now();
  }

  l2(body: L2Body): void {
    this.touch();
    this.counts.l2++;
    if (!body.snapshot) this.latency(body.ts, body.recvTs);
    this.sink.l2({
      v: 1,
      venue: this.venue,
      symbol: this.symbol,
      ...body,
      bids: body.bids as [string, string][],
      asks: body.asks as [string, string][],
    });
    this.metrics.out('l2');
  }

  status(state: FeedState, reason: string): void {
    // A connection that closes before the symbol was connected again (a venue that accepts and then
    // refuses, a reconnect that drops at once) changes nothing downstream: `disconnected` stands.
    if (state === 'disconnected' && this.state === 'disconnected') return;
    // Likewise a book asked to resync again before it is connected (a second unreadable frame of the
    // same fault, a snapshot refused): downstream already holds no valid book, `resync` stands.
    if (state === 'resync' && this.state === 'resyncing') return;
    this.counts.status++;
    if (state === 'gap') {
      this.counts.gaps++;
      this.metrics.gap();
    } else if (state === 'resync') {
      this.counts.resyncs++;
      this.metrics.resync();
      this.state = 'resyncing';
    } else if (state === 'checksum_mismatch') {
      this.counts.checksumMismatch++;
    } else if (state === 'connected' && this.state !== 'stale') {
      this.state = this.book?.isLive || !this.carried.channels.includes('l2') ? 'live' : 'syncing';
    } else if (state === 'disconnected') {
      this.state = 'disconnected';
    } else if (state === 'stale') {
      this.state = 'stale';
    }
    this.sink.status({ v: 1, venue: this.venue, symbol: this.symbol, state, reason, ts: this.now() });
    this.metrics.out('status');
  }

  /**
   * Adaptive stale check: silence longer than `factor` × the symbol's own usual interval (at
   * least `minMs`). A quiet symbol has a long usual interval, so it is not called stale for being quiet.
   */
  checkStale(minMs: number, factor: number): boolean {
    if (this.stale || this.lastMessageAt === 0 || this.state === 'disconnected') return false;
    const limit = Math.max(minMs, factor * this.meanGapMs);
    if (this.now() - Math.max(this.lastMessageAt, this.idleAt) <= limit) return false;
    this.stale = true;
    this.state = 'stale';
    this.status(
      'stale',
      `no data for ${Math.round((this.now() - this.lastMessageAt) / 1000)} s (usual interval ${Math.round(this.meanGapMs)} ms)`,
    );
    return true;
  }

  /** Exchange → receive here; receive → publish is observed by the sink when the message reaches the NATS client. */
  private latency(ts: number, recvTs: number): void {
    this.metrics.exchangeToReceive(Math.max(0, recvTs / 1e6 - ts / 1e3));
  }
}
