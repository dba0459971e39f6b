import { ResilienceRegistry } from '@cryptoscalp/circuit-breaker';
import { HealthRegistry } from '@cryptoscalp/health';
import { isVenue, type Venue } from '@cryptoscalp/messaging';
import { MetricsRegistry } from '@cryptoscalp/metrics';
import { PLATFORM_OPTIONS, type PlatformOptions } from '@cryptoscalp/platform';

import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

import { CaptureWriter } from '../capture/capture-writer';
import { feedSpecs, type GatewayConfig, venueOverrides } from '../market-data-gateway.config';
import { MarketPublisherService } from '../publishing/market-publisher.service';
import type { VenueSettings } from '../venues/venue-adapter';
import { adapterFor } from '../venues/venue-registry';
import { nowUs } from './clock';
import type { SymbolFeed } from './symbol-feed';
import { VenueFeed } from './venue-feed';
import { promVenueMetrics, type VenueMetrics } from './venue-metrics';

/** Rate-limits repeated warnings (a reconnect storm or a flood of malformed frames logs a few lines, not thousands). */
class WarnLimiter {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(private readonly logger: Logger) {}
  warn(message: string): void {
    const key = message.slice(0, 60);
    const now = Date.now();
    const e = this.last.get(key);
    if (e && now - e.at < 10_000) {
      e.suppressed++;
      return;
    }
    this.logger.warn(e?.suppressed ? `${message} (+${e.suppressed} similar suppressed)` : message);
    this.last.set(key, { at: now, suppressed: 0 });
    if (this.last.size > 1000) this.last.clear();
  }
}

/**
 * Which venues, symbols and channels are carried (config), and their lifecycle: feeds start
 * once the app is up and stop on shutdown (held trades drained to JetStream first). Owns the
 * health components (`feed:<venue>` per venue; `feeds`, critical, when feeds are configured:
 * at least one symbol live) and serves the state behind `GET /v1/feeds` and `GET /v1/book`.
 */
@Injectable()
export class FeedManager implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(FeedManager.name);
  private readonly warnings = new WarnLimiter(this.logger);
  readonly venues = new Map<Venue, VenueFeed>();
  private readonly metricsByVenue = new Map<string, VenueMetrics>();

  constructor(
    @Inject(PLATFORM_OPTIONS) private readonly options: PlatformOptions<GatewayConfig>,
    private readonly publisher: MarketPublisherService,
    private readonly metrics: MetricsRegistry,
    private readonly resilience: ResilienceRegistry,
    private readonly health: HealthRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const cfg = this.options.config;
    this.publisher.onL2Lost = (keys) => this.republish(keys);
    this.publisher.onDrop = (venue, kind) => this.metricsByVenue.get(venue)?.dropped(kind);
    this.publisher.onPublished = (venue, _kind, recvTs) => {
      if (recvTs !== undefined) this.metricsByVenue.get(venue)?.receiveToPublish(Math.max(0, (nowUs() - recvTs) / 1e6));
    };
    for (const spec of feedSpecs(cfg)) {
      const adapter = adapterFor(spec.venue);
      if (!adapter) {
        this.logger.error(`${spec.venue}: no adapter for this venue yet; its feeds are not carried`);
        continue;
      }
      const o = venueOverrides(cfg, spec.venue);
      const wsUrl = o.wsUrl ?? adapter.defaults.wsUrl;
      const settings: VenueSettings = {
        wsUrl,
        restUrl: o.restUrl ?? adapter.defaults.restUrl,
        bookDepth: o.bookDepth ?? adapter.defaults.bookDepth,
        // The venue's own alternatives only when its real endpoint is used (a simulator has none).
        wsFallbackUrls: o.wsFallbackUrls ?? (o.wsUrl === undefined ? [...(adapter.fallbackWsUrls ?? [])] : []),
        ...(o.credentials ? { credentials: o.credentials } : {}),
        ...(o.tradeBackfill ? { tradeBackfill: o.tradeBackfill } : {}),
      };
      adapter.configure?.(settings);
      const metrics = promVenueMetrics(this.metrics, spec.venue);
      this.metricsByVenue.set(spec.venue, metrics);
      const lifetime = adapter.limits.maxConnectionLifetimeMs;
      const feed = new VenueFeed(
        spec.venue,
        adapter,
        settings,
        spec.symbols,
        spec.channels,
        this.publisher.sink,
        metrics,
        this.resilience,
        {
          staleAfterMs: cfg.GATEWAY_CONNECTION_STALE_MS,
          symbolStaleMs: cfg.GATEWAY_SYMBOL_STALE_MS,
          rotateAfterMs: cfg.GATEWAY_ROTATE_AFTER_MS ?? (lifetime ? lifetime - 15 * 60_000 : undefined),
          restWeightPerMinute: adapter.limits.restWeightPerMinute ?? 1000,
          restRequestsPerSecond: adapter.limits.restRequestsPerSecond,
          capture: cfg.GATEWAY_CAPTURE_DIR ? new CaptureWriter(cfg.GATEWAY_CAPTURE_DIR, spec.venue) : undefined,
        },
        { log: (m) => this.logger.log(m), warn: (m) => this.warnings.warn(m) },
      );
      this.venues.set(spec.venue, feed);
      this.health.register({ name: `feed:${spec.venue}`, critical: false, check: () => feed.health() });
      feed.start();
    }
    if (cfg.GATEWAY_CAPTURE_DIR) this.logger.log(`capturing raw frames to ${cfg.GATEWAY_CAPTURE_DIR} (replay: npm run replay -- <file>)`);
    const venues = this.venues;
    this.metrics.gauge(
      'gateway_adapter_counter',
      "A venue adapter's own counters (audits, trade-id gaps…), by name",
      ['venue', 'name'],
      function () {
        for (const v of venues.values()) for (const [name, value] of Object.entries(v.adapterCounters())) this.set({ venue: v.venue, name }, value);
      },
    );
    if (this.venues.size > 0) {
      this.health.register({
        name: 'feeds',
        critical: true,
        check: () => {
          const live = [...this.venues.values()].reduce((n, v) => n + [...v.feeds.values()].filter((f) => f.state === 'live').length, 0);
          return live > 0
            ? { status: 'pass', measurement: 'live', observedValue: live, observedUnit: 'symbols' }
            : { status: 'fail', measurement: 'live', observedValue: 0, observedUnit: 'symbols', output: 'no feed is live yet' };
        },
      });
    } else {
      this.logger.log('no feeds configured (GATEWAY_FEEDS or GATEWAY_FEEDS_FILE): serving health and metrics only');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    for (const v of this.venues.values()) v.stop();
    await this.publisher.drain(2000);
  }

  symbolFeed(venue: string, symbol: string): SymbolFeed | undefined {
    return isVenue(venue) ? this.venues.get(venue)?.feeds.get(symbol) : undefined;
  }

  describe(): Record<string, unknown> {
    const sink = this.publisher.sink;
    return {
      venues: [...this.venues.values()].map((v) => v.describe()),
      publishing: { bufferedCore: sink.bufferedCore, bufferedTrades: sink.bufferedTrades, ...sink.stats, jetStream: { ...sink.jetStreamStats } },
    };
  }

  private republish(keys: Set<string>): void {
    for (const key of keys) {
      const [venue, symbol] = key.split('|');
      const book = this.symbolFeed(venue ?? '', symbol ?? '')?.book;
      if (book?.republish(nowUs()))
        this.logger.log(`${key}: book republished as a snapshot after L2 messages were lost while NATS was unreachable`);
    }
  }
}
