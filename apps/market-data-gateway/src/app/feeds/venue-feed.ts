import { BackgroundRetry, type ResiliencePolicy, type ResilienceRegistry } from '@cryptoscalp/circuit-breaker';
import type { ComponentResult } from '@cryptoscalp/health';
import type { Venue } from '@cryptoscalp/messaging';

import type { CaptureWriter } from '../capture/capture-writer';
import { AttemptLimiter } from '../connections/attempt-limiter';
import { CoreMetadataSocket } from '../connections/metadata-socket';
import type { MarketSink } from '../publishing/market-sink';
import { HttpRestClient, WeightLimiter } from '../rest/rest-client';
import type { CarriedSymbol, Channel, VenueAdapter, VenueSettings } from '../venues/venue-adapter';
import { type Endpoint, ShardFeed, type ShardOptions } from './shard-feed';
import { planShards } from './shard-plan';
import { SymbolFeed } from './symbol-feed';
import type { VenueMetrics } from './venue-metrics';

export interface VenueFeedOptions extends ShardOptions {
  symbolStaleMs: number;
  /** REST request weight per minute the gateway allows itself (a share of the venue's limit). */
  restWeightPerMinute: number;
  /** REST requests per second (in addition to the weight), when the venue limits them. */
  restRequestsPerSecond?: number;
  /** Raw capture of frames and REST answers (`GATEWAY_CAPTURE_DIR`). */
  capture?: CaptureWriter;
}

export interface Logger {
  log(message: string): void;
  warn(message: string): void;
}

/**
 * One venue: resolves the wanted symbols from the venue's instrument metadata (retrying in the
 * background while REST is unreachable), shards them over connections within the venue's
 * limits, and reports per-symbol state for `GET /v1/feeds` and the `feed:<venue>` health component.
 */
export class VenueFeed {
  readonly feeds = new Map<string, SymbolFeed>();
  readonly shards: ShardFeed[] = [];
  readonly rest: HttpRestClient;
  unknown: string[] = [];
  resolved = false;
  lastError: string | undefined;
  private retry: BackgroundRetry<unknown> | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly attempts: AttemptLimiter;
  private stopped = false;

  constructor(
    readonly venue: Venue,
    readonly adapter: VenueAdapter,
    readonly settings: VenueSettings,
    readonly wanted: readonly string[],
    readonly channels: readonly Channel[],
    private readonly sink: MarketSink,
    private readonly metrics: VenueMetrics,
    private readonly resilience: ResilienceRegistry,
    private readonly options: VenueFeedOptions,
    private readonly logger: Logger,
  ) {
    this.rest = new HttpRestClient(new WeightLimiter(options.restWeightPerMinute, Date.now, options.restRequestsPerSecond), {
      onWait: (s) => s > 0 && metrics.limiterWait(s),
      onBlocked: (status, ms, url) => logger.warn(`${venue} REST ${status}: holding requests for ${ms} ms (${url})`),
      onResponse: options.capture ? (url, body) => options.capture?.rest(url, body) : undefined,
    });
    const { max, windowMs } = adapter.limits.connectAttempts;
    this.attempts = new AttemptLimiter(max, windowMs);
  }

  start(): void {
    this.retry = new BackgroundRetry(() => this.resolve(), {
      initialDelayMs: 1000,
      maxDelayMs: 30_000,
      onFailure: (err, attempt, delay) => {
        this.lastError = err.message;
        if (attempt === 1 || attempt % 10 === 0)
          this.logger.warn(`${this.venue}: instruments unavailable (${err.message}); retrying in ${Math.round(delay)} ms`);
      },
    });
    this.watchdog = setInterval(() => {
      for (const f of this.feeds.values()) f.checkStale(this.options.symbolStaleMs, 20);
    }, 1000);
    this.watchdog.unref?.();
  }

  stop(): void {
    this.stopped = true;
    this.retry?.stop();
    if (this.watchdog) clearInterval(this.watchdog);
    for (const s of this.shards) s.stop();
  }

  private async resolve(): Promise<void> {
    // Metadata read on a WebSocket (Kraken instruments) goes through the attempt limiter and the endpoint's breaker.
    const meta = new CoreMetadataSocket(this.attempts, (url) => this.breakerOf(url), this.adapter.limits.maxOutgoingPerSecond);
    const { symbols, unknown } = await this.adapter.resolveSymbols(this.rest, this.settings, this.wanted, meta);
    if (this.stopped) return;
    this.unknown = unknown;
    if (unknown.length) this.logger.warn(`${this.venue}: not listed by the venue, not carried: ${unknown.join(', ')}`);
    const carried: CarriedSymbol[] = symbols.map((s) => ({ ...s, channels: this.channels }));
    for (const c of carried) this.feeds.set(c.symbol, new SymbolFeed(this.venue, c, this.sink, this.metrics));
    // One breaker per endpoint: `ws:<venue>` for the configured one, `ws:<venue>@<host:port>` for each alternative.
    const endpoints: Endpoint[] = [this.settings.wsUrl, ...(this.settings.wsFallbackUrls ?? [])].map((url) => ({
      url,
      breaker: this.breakerOf(url),
    }));
    for (const symbolsOfShard of planShards(this.adapter, carried)) {
      const s = new ShardFeed(
        this.shards.length + 1,
        symbolsOfShard,
        {
          venue: this.venue,
          adapter: this.adapter,
          settings: this.settings,
          rest: this.rest,
          feeds: this.feeds,
          metrics: this.metrics,
          endpoints,
          attempts: this.attempts,
          capture: this.options.capture,
          warn: (m) => this.logger.warn(m),
          log: (m) => this.logger.log(m),
        },
        this.options,
      );
      this.shards.push(s);
      s.start();
    }
    this.resolved = true;
    this.lastError = undefined;
    this.logger.log(
      `${this.venue}: carrying ${carried.length} symbols (${this.channels.join(', ')}) on ${this.shards.length} connection(s)`,
    );
  }

  /** `ws:<venue>` for the configured endpoint, `ws:<venue>@<host:port>` for the others (created once). */
  private breakerOf(url: string): ResiliencePolicy {
    const name = url === this.settings.wsUrl ? `ws:${this.venue}` : `ws:${this.venue}@${hostOf(url)}`;
    return (
      this.resilience.get(name) ??
      this.resilience.create(name, { breaker: { window: { kind: 'consecutive', failures: 5 }, halfOpenAfterMs: 30_000 } })
    );
  }

  /** `pass` all live; `warn` some resyncing/stale/syncing; `fail` nothing connected or nothing live. */
  health(): ComponentResult {
    const feeds = [...this.feeds.values()];
    const live = feeds.filter((f) => f.state === 'live').length;
    const connected = this.shards.filter((s) => s.connected).length;
    if (!this.resolved) {
      return {
        status: 'fail',
        measurement: 'live',
        observedValue: 0,
        observedUnit: 'symbols',
        output: `instruments not loaded${this.lastError ? `: ${this.lastError}` : ''}`,
      };
    }
    if (connected === 0 || live === 0) {
      const why =
        connected === 0 ? `no connection open${this.shards[0]?.lastError ? ` (${this.shards[0].lastError})` : ''}` : 'no symbol live yet';
      return { status: 'fail', measurement: 'live', observedValue: live, observedUnit: 'symbols', output: why };
    }
    const notLive = feeds.filter((f) => f.state !== 'live');
    if (notLive.length || connected < this.shards.length) {
      return {
        status: 'warn',
        measurement: 'live',
        observedValue: live,
        observedUnit: 'symbols',
        output: notLive.map((f) => `${f.symbol} ${f.state}`).join(', ') || `${this.shards.length - connected} connection(s) down`,
      };
    }
    return { status: 'pass', measurement: 'live', observedValue: live, observedUnit: 'symbols' };
  }

  /** The adapter's own counters plus its sessions' (summed over the active connections). */
  adapterCounters(): Record<string, number> {
    const out: Record<string, number> = { ...(this.adapter.counters?.() ?? {}) };
    for (const shard of this.shards) {
      for (const [k, v] of Object.entries(shard.sessionCounters())) out[k] = (out[k] ?? 0) + v;
    }
    return out;
  }

  /** `GET /v1/feeds` entry. */
  describe(): Record<string, unknown> {
    const now = Date.now();
    return {
      venue: this.venue,
      ws: this.settings.wsUrl,
      rest: this.settings.restUrl,
      resolved: this.resolved,
      unknownSymbols: this.unknown,
      connections: this.shards.map((s) => ({
        id: s.id,
        connected: s.connected,
        ageMs: s.connectionAgeMs,
        lastFrameAgeMs: s.lastFrameAt === undefined ? undefined : now - s.lastFrameAt,
        symbols: s.symbols.length,
        reconnects: s.reconnects,
        rotations: s.rotations,
        failovers: s.failovers,
        endpoint: s.endpoint,
        lastError: s.lastError,
      })),
      wsFallback: this.settings.wsFallbackUrls ?? [],
      restLimiter: {
        weightPerMinute: this.rest.limiter.weightPerMinute,
        requestsPerSecond: this.rest.limiter.requestsPerSecond,
        used: this.rest.limiter.used,
        waits: this.rest.limiter.waits,
        blocks: this.rest.limiter.blocks,
        bannedUntil: this.rest.limiter.bannedUntil || undefined,
        inFlight: this.rest.inFlight,
        queued: this.rest.queued,
      },
      adapter: this.adapterCounters(),
      symbols: [...this.feeds.values()].map((f) => ({
        symbol: f.symbol,
        native: f.carried.native,
        channels: f.carried.channels,
        state: f.state,
        lastMessageAgeMs: f.lastMessageAt ? now - f.lastMessageAt : undefined,
        ratePerSecond: Math.round(f.rate * 10) / 10,
        seq: f.book?.seq,
        book: f.book
          ? { state: f.book.state, bids: f.book.levelCount('bid'), asks: f.book.levelCount('ask'), ...f.book.counters }
          : undefined,
        counters: { ...f.counts, duplicateTrades: f.dedup.duplicates },
      })),
    };
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
