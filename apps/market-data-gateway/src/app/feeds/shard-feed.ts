import { Backoff, type ResiliencePolicy } from '@cryptoscalp/circuit-breaker';
import type { Venue } from '@cryptoscalp/messaging';

import type { CaptureWriter, ConnectionCapture } from '../capture/capture-writer';
import type { AttemptLimiter } from '../connections/attempt-limiter';
import { WsConnection } from '../connections/ws-connection';
import type { RestClient } from '../rest/rest.types';
import type { CarriedSymbol, VenueAdapter, VenueSession, VenueSettings } from '../venues/venue-adapter';
import { nowUs } from './clock';
import { ConnectionContext } from './connection-context';
import type { SymbolFeed } from './symbol-feed';
import type { VenueMetrics } from './venue-metrics';

interface Live {
  conn: WsConnection;
  ctx: ConnectionContext;
  session: VenueSession;
  endpoint: string;
  keepalive?: NodeJS.Timeout;
  lifetime?: NodeJS.Timeout;
}

/** One WebSocket endpoint of a venue (the configured one, then its alternatives) and its circuit breaker. */
export interface Endpoint {
  url: string;
  breaker: ResiliencePolicy;
}

export interface ShardOptions {
  staleAfterMs: number;
  /** Planned rotation after this long (undefined: never). */
  rotateAfterMs?: number;
  /** Longest wait for the new connection's books before switching over anyway. */
  switchTimeoutMs?: number;
  backoff?: { initialDelayMs: number; maxDelayMs: number };
}

export interface ShardDeps {
  venue: Venue;
  adapter: VenueAdapter;
  settings: VenueSettings;
  rest: RestClient;
  feeds: ReadonlyMap<string, SymbolFeed>;
  metrics: VenueMetrics;
  /** `settings.wsUrl` first, then the alternatives; each with its own breaker. */
  endpoints: readonly Endpoint[];
  attempts: AttemptLimiter;
  capture?: CaptureWriter;
  warn(message: string): void;
  log(message: string): void;
}

/**
 * One connection's worth of symbols: keeps exactly one active connection, reconnects with capped
 * jittered backoff through the endpoint's circuit breaker and the venue's attempt limiter, and
 * rotates make-before-break (planned before the venue's lifetime ends, or when the venue
 * announces a shutdown): the new connection syncs its books while the old one keeps publishing,
 * then publishing switches over and the old one closes. Trades are de-duplicated across both.
 */
export class ShardFeed {
  active: Live | undefined;
  private next: Live | undefined;
  private stopped = false;
  private connecting = false;
  private readonly backoff: Backoff;
  /** Index in `deps.endpoints` of the endpoint tried next (moves on when one fails). */
  private endpointIndex = 0;
  reconnects = 0;
  rotations = 0;
  failovers = 0;
  lastError: string | undefined;

  constructor(
    readonly id: number,
    readonly symbols: readonly CarriedSymbol[],
    private readonly deps: ShardDeps,
    private readonly options: ShardOptions,
  ) {
    this.backoff = new Backoff(options.backoff ?? { initialDelayMs: 500, maxDelayMs: 30_000 });
  }

  get connected(): boolean {
    return this.active?.conn.isOpen ?? false;
  }

  get connectionAgeMs(): number | undefined {
    return this.active ? Date.now() - this.active.conn.openedAt : undefined;
  }

  get lastFrameAt(): number | undefined {
    return this.active?.conn.lastFrameAt;
  }

  /** The endpoint of the active connection (or the one tried next). */
  get endpoint(): string {
    return this.active?.endpoint ?? (this.deps.endpoints[this.endpointIndex] as Endpoint).url;
  }

  /** The active session's own counters (`VenueSession.sessionCounters`). */
  sessionCounters(): Record<string, number> {
    return this.active?.session.sessionCounters?.() ?? {};
  }

  start(): void {
    void this.connectLoop();
  }

  stop(): void {
    this.stopped = true;
    for (const live of [this.active, this.next]) if (live) this.dispose(live, 1000, 'gateway stopping');
    this.active = undefined;
    this.next = undefined;
  }

  /** Make-before-break rotation (announced shutdown, planned lifetime, refused subscription). */
  rotate(reason: string): void {
    if (this.stopped || this.next || !this.active) return;
    this.deps.log(`${this.deps.venue} shard ${this.id}: rotating connection (${reason})`);
    this.rotations++;
    this.deps.metrics.rotation();
    void this.rotateNow();
  }

  private async rotateNow(): Promise<void> {
    let next: Live;
    try {
      await this.deps.attempts.take();
      next = await this.openVia(false);
    } catch (err) {
      this.lastError = (err as Error).message;
      this.deps.warn(`${this.deps.venue} shard ${this.id}: rotation connection failed (${this.lastError}); keeping the current one`);
      return;
    }
    if (this.stopped) return this.dispose(next, 1000, 'stopping');
    this.next = next;
    const l2 = this.symbols.filter((s) => s.channels.includes('l2'));
    const deadline = Date.now() + (this.options.switchTimeoutMs ?? 30_000);
    while (!this.stopped && this.next === next && Date.now() < deadline) {
      if (l2.every((s) => this.caughtUp(next, s.symbol))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    if (this.stopped || this.next !== next) return;
    this.switchTo(next, 'rotated');
  }

  /**
   * The new connection's book is live and not behind the one published so far: switching then
   * publishes a snapshot at or after the last delta downstream saw (no sequence twice, none skipped).
   */
  private caughtUp(next: Live, symbol: string): boolean {
    const book = next.ctx.books.get(symbol);
    if (!book?.isLive) return false;
    const old = this.active?.ctx.books.get(symbol);
    return !old?.isLive || book.seq >= old.seq;
  }

  private switchTo(next: Live, reason: string): void {
    const old = this.active;
    this.next = undefined;
    this.active = next;
    next.ctx.activate(nowUs());
    this.armLifetime(next);
    if (old) this.dispose(old, 1000, reason);
    this.deps.log(`${this.deps.venue} shard ${this.id}: switched to the new connection (${next.endpoint})`);
  }

  /** Opens a connection on the current endpoint through its breaker; on failure the next endpoint is tried next time. */
  private async openVia(active: boolean): Promise<Live> {
    const endpoints = this.deps.endpoints;
    const endpoint = endpoints[this.endpointIndex % endpoints.length] as Endpoint;
    try {
      return await endpoint.breaker.execute(() => this.openLive(active, endpoint.url));
    } catch (err) {
      if (endpoints.length > 1) {
        this.endpointIndex = (this.endpointIndex + 1) % endpoints.length;
        this.failovers++;
        this.deps.warn(
          `${this.deps.venue} shard ${this.id}: ${endpoint.url} failed (${(err as Error).message}); next attempt on ${(endpoints[this.endpointIndex] as Endpoint).url}`,
        );
      }
      throw err;
    }
  }

  private async connectLoop(): Promise<void> {
    if (this.connecting) return;
    this.connecting = true;
    try {
      while (!this.stopped && !this.active) {
        try {
          await this.deps.attempts.take();
          const live = await this.openVia(true);
          if (this.stopped) {
            this.dispose(live, 1000, 'stopping');
            return;
          }
          this.active = live;
          this.armLifetime(live);
          this.backoff.reset();
          this.lastError = undefined;
        } catch (err) {
          this.lastError = (err as Error).message;
          const delay = this.backoff.next();
          this.deps.warn(`${this.deps.venue} shard ${this.id}: connect failed (${this.lastError}); retrying in ${Math.round(delay)} ms`);
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    } finally {
      this.connecting = false;
    }
  }

  private async openLive(active: boolean, wsUrl: string): Promise<Live> {
    const { adapter, venue } = this.deps;
    const settings = wsUrl === this.deps.settings.wsUrl ? this.deps.settings : { ...this.deps.settings, wsUrl };
    const plan = adapter.connectionPlan(settings, this.symbols);
    const ref: { live?: Live } = {};
    const cap: { ture?: ConnectionCapture } = {};
    const conn = new WsConnection(
      plan.url,
      {
        onFrame: (text, recvUs) => {
          this.deps.metrics.frame();
          cap.ture?.received(text, recvUs);
          ref.live?.session.onFrame(text, recvUs);
        },
        onClose: (code, reason) => {
          if (ref.live) this.onClosed(ref.live, code, reason);
        },
      },
      { staleAfterMs: this.options.staleAfterMs, maxOutgoingPerSecond: adapter.limits.maxOutgoingPerSecond },
    );
    const ctx = new ConnectionContext(
      venue,
      settings,
      this.deps.rest,
      this.deps.feeds,
      this.symbols,
      {
        send: (text) => {
          cap.ture?.sent(text);
          conn.send(text);
        },
        sendPaced: (texts) => {
          for (const t of texts) cap.ture?.sent(t);
          conn.sendPaced(texts);
        },
        rotate: (reason) => this.rotate(reason),
        warn: (m) => this.deps.warn(m),
        metrics: this.deps.metrics,
      },
      active,
    );
    const session = adapter.openSession(ctx);
    const live: Live = { conn, ctx, session, endpoint: wsUrl };
    ref.live = live;
    await conn.open();
    if (!conn.isOpen) {
      // Accepted, then closed at once (a venue's connection limit): a failed attempt, not a connection.
      this.dispose(live, 1000, 'closed on open');
      throw new Error('closed right after opening');
    }
    cap.ture = this.deps.capture?.connection(this.id, plan.url);
    session.onOpen?.();
    for (const m of plan.subscribe) cap.ture?.sent(m);
    conn.sendPaced(plan.subscribe);
    const keepaliveMs = adapter.limits.keepaliveMs;
    if (keepaliveMs && session.keepalive) live.keepalive = setInterval(() => session.keepalive?.(), keepaliveMs);
    if (active) {
      // Symbols without a book are live as soon as the connection is; books report when synced.
      for (const s of this.symbols) if (!s.channels.includes('l2')) this.deps.feeds.get(s.symbol)?.status('connected', 'subscribed');
    }
    return live;
  }

  private onClosed(live: Live, code: number, reason: string): void {
    this.dispose(live, code, reason);
    if (live === this.next) {
      this.next = undefined;
      return;
    }
    if (live !== this.active) return;
    const next = this.next;
    if (next && next.conn.isOpen && !this.stopped) {
      // The venue closed the old connection before the new one was fully synced (a short shutdown
      // notice): switch now; books not live yet sync on the new connection.
      this.active = undefined;
      this.switchTo(next, `old connection closed (${code})`);
      return;
    }
    this.active = undefined;
    if (this.stopped) return;
    this.reconnects++;
    this.deps.metrics.reconnect();
    this.deps.warn(`${this.deps.venue} shard ${this.id}: connection closed (${code} ${reason}); reconnecting`);
    for (const s of this.symbols) {
      const feed = this.deps.feeds.get(s.symbol);
      if (!feed) continue;
      feed.book = undefined;
      feed.status('disconnected', `connection closed (${code}${reason ? ` ${reason}` : ''})`);
    }
    setTimeout(() => void this.connectLoop(), this.backoff.next());
  }

  private armLifetime(live: Live): void {
    const after = this.options.rotateAfterMs;
    if (after === undefined) return;
    // A little jitter so that shards opened together do not all rotate in the same second.
    live.lifetime = setTimeout(
      () => this.rotate('planned rotation before the connection lifetime ends'),
      after * (0.97 + Math.random() * 0.03),
    );
    live.lifetime.unref?.();
  }

  private dispose(live: Live, _code: number, reason: string): void {
    if (live.keepalive) clearInterval(live.keepalive);
    if (live.lifetime) clearTimeout(live.lifetime);
    live.ctx.close();
    live.session.onClose?.();
    live.conn.close(1000, reason.slice(0, 100));
  }
}
