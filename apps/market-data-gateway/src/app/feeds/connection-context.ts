import type { FeedState, Venue } from '@cryptoscalp/messaging';

import type { BookHandle, BookOptions } from '../books/book.types';
import { type BookOutput, BookSync, type BookSyncOptions } from '../books/book-sync';
import type { RestClient } from '../rest/rest.types';
import type { CarriedSymbol, SessionContext, TopOfBookIn, TradeIn, VenueSettings } from '../venues/venue-adapter';
import type { SymbolFeed } from './symbol-feed';
import type { VenueMetrics } from './venue-metrics';

export interface ConnectionHooks {
  send(text: string): void;
  /** Queued under the venue's outgoing message rate (the connection's pacer); `send` when absent. */
  sendPaced?(texts: readonly string[]): void;
  rotate(reason: string): void;
  /** Rate-limited by the implementation. */
  warn(message: string): void;
  metrics: VenueMetrics;
  bookOptions?: BookSyncOptions;
}

/** Truncated frame for logs, secrets redacted. */
export function sample(frame: string, max = 200): string {
  const text = redactSecrets(frame);
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

const SECRET_FIELD = /("(?:signature|key|passphrase|secret|api_key|apiKey|sign|token|password)"\s*:\s*)"(?:[^"\\]|\\.)*"/g;

/**
 * Masks credentials in anything logged or captured: JSON fields that carry them (a signed Coinbase
 * subscribe has `key`, `passphrase`, `signature`) and user:password in URLs.
 */
export function redactSecrets(text: string): string {
  return text.replace(SECRET_FIELD, '$1"***"').replace(/\/\/([^/@:\s]*):([^/@\s]*)@/g, '//$1:***@');
}

/**
 * The `SessionContext` of one connection: its books, and the gate between them and the symbol
 * feeds. Only the active connection publishes books, top of book and status; trades from any
 * connection go through the symbol's de-duplication (so a rotation loses and doubles nothing).
 */
export class ConnectionContext implements SessionContext {
  active: boolean;
  readonly books = new Map<string, BookSync>();
  readonly byNative: ReadonlyMap<string, CarriedSymbol>;
  parseErrors = 0;
  skippedFrames = 0;
  /** `warn` calls of the session (refused subscriptions…): not parse errors. */
  warnings = 0;

  constructor(
    readonly venue: Venue,
    readonly settings: VenueSettings,
    readonly rest: RestClient,
    private readonly feeds: ReadonlyMap<string, SymbolFeed>,
    symbols: readonly CarriedSymbol[],
    private readonly hooks: ConnectionHooks,
    active = true,
  ) {
    this.active = active;
    this.byNative = new Map(symbols.map((s) => [s.native, s]));
  }

  book(symbol: CarriedSymbol, options: BookOptions): BookHandle {
    const existing = this.books.get(symbol.symbol);
    if (existing) return existing;
    const feed = this.feedOf(symbol);
    const metrics = this.hooks.metrics;
    const output: BookOutput = {
      l2: (body) => {
        if (this.active) feed.l2(body);
      },
      status: (state, reason) => {
        if (this.active) feed.status(state, reason);
        else if (state === 'gap') metrics.gap();
      },
      warn: (m) => this.hooks.warn(`${this.venue} ${symbol.symbol}: ${m}`),
      // Update and snapshot checksums, and mismatches the adapter reports with `fail`.
      checksum: (ok) => metrics.checksum(ok),
    };
    const counted: BookOptions = {
      ...options,
      requestSnapshot: () => {
        metrics.snapshotRequest();
        return options.requestSnapshot();
      },
    };
    const book = new BookSync(counted, output, this.hooks.bookOptions);
    this.books.set(symbol.symbol, book);
    if (this.active) feed.book = book;
    return book;
  }

  trade(symbol: CarriedSymbol, trade: TradeIn): void {
    this.feedOf(symbol).trade(trade);
  }

  topOfBook(symbol: CarriedSymbol, l1: TopOfBookIn): void {
    const feed = this.feedOf(symbol);
    feed.touch();
    if (this.active) feed.l1(l1);
  }

  send(text: string): void {
    this.hooks.send(text);
  }

  sendPaced(...texts: string[]): void {
    if (this.hooks.sendPaced) this.hooks.sendPaced(texts);
    else for (const t of texts) this.hooks.send(t);
  }

  idle(): void {
    for (const s of this.byNative.values()) this.feeds.get(s.symbol)?.idle();
  }

  warn(message: string): void {
    this.warnings++;
    this.hooks.warn(`${this.venue}: ${message}`);
  }

  rotate(reason: string): void {
    this.hooks.rotate(reason);
  }

  parseError(frame: string, reason: string): void {
    this.parseErrors++;
    this.hooks.metrics.parseError();
    this.hooks.warn(`${this.venue}: malformed frame (${reason}): ${sample(frame)}`);
  }

  skipped(): void {
    this.skippedFrames++;
    this.hooks.metrics.skipped();
  }

  status(symbol: CarriedSymbol, state: FeedState, reason: string): void {
    const feed = this.feedOf(symbol);
    if (this.active) feed.status(state, reason);
    else if (state === 'gap') this.hooks.metrics.gap();
  }

  /**
   * This connection becomes the one that publishes: its live books go out as snapshots, and
   * symbols that were not live on the old connection (it had dropped) are `connected` again.
   */
  activate(recvTs: number): void {
    this.active = true;
    for (const s of this.byNative.values()) {
      const feed = this.feeds.get(s.symbol);
      if (!feed) continue;
      const book = this.books.get(s.symbol);
      if (book) {
        feed.book = book;
        if (book.republish(recvTs) && feed.state !== 'live') feed.status('connected', 'book synced on the new connection');
      } else if (!s.channels.includes('l2') && feed.state !== 'live') {
        feed.status('connected', 'subscribed on the new connection');
      }
    }
  }

  /** True when every book of this connection is live (a rotation may switch over). */
  get booksLive(): boolean {
    for (const b of this.books.values()) if (!b.isLive) return false;
    return true;
  }

  close(): void {
    this.active = false;
    for (const b of this.books.values()) b.close();
  }

  private feedOf(symbol: CarriedSymbol): SymbolFeed {
    const feed = this.feeds.get(symbol.symbol);
    if (!feed) throw new Error(`${this.venue} ${symbol.symbol} is not carried`);
    return feed;
  }
}
