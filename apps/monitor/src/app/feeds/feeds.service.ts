import { type FeedStatus, NatsConnector, StatusSchema, Subjects } from '@cryptoscalp/messaging';
import { MetricsRegistry } from '@cryptoscalp/metrics';

import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

import { DiscoveryService } from '../discovery/discovery.service';
import { feedEntries, type FeedView, type GatewayFeed, GatewayFeedsBodySchema, GatewayFeedSchema, type VenueView } from './feed.types';
import { FeedBoard } from './feed-board';
import { FEEDS_OPTIONS, type FeedsOptions } from './feeds.constants';

/** The feed view: `md.status.>` events and every gateway's `/v1/feeds`, polled. */
@Injectable()
export class FeedsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(FeedsService.name);
  readonly board: FeedBoard;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<string>();
  private readonly known = new Set<string>();
  private subscription: { unsubscribe(): void } | undefined;
  private readonly pollErrors;
  private readonly warned = new Set<string>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly nats: NatsConnector,
    private readonly subjects: Subjects,
    metrics: MetricsRegistry,
    @Inject(FEEDS_OPTIONS) private readonly options: FeedsOptions,
  ) {
    this.board = new FeedBoard(options);
    this.pollErrors = metrics.counter('monitor_feed_poll_errors_total', 'Failed or malformed /v1/feeds polls');
    const board = this.board;
    metrics.gauge('monitor_feed_age_seconds', 'Seconds since the last message per feed', ['venue', 'symbol'], function () {
      this.reset();
      for (const f of board.list()) if (f.ageMs !== null) this.set({ venue: f.venue, symbol: f.symbol }, f.ageMs / 1000);
    });
  }

  onApplicationBootstrap(): void {
    this.subscription = this.nats.subscribe<FeedStatus>(this.subjects.allOf('status'), (s) => this.board.applyStatus(s), { schema: StatusSchema });
    this.timer = setInterval(() => this.round(), this.options.pollIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.subscription?.unsubscribe();
  }

  feeds(now = Date.now()): FeedView[] {
    return this.board.list(now);
  }

  venues(feeds = this.feeds()): VenueView[] {
    return FeedBoard.venues(feeds);
  }

  round(): void {
    const present = new Set<string>();
    for (const inst of this.discovery.instances()) {
      if (!this.options.feedServices.includes(inst.service)) continue;
      present.add(inst.key);
      this.known.add(inst.key);
      if (inst.stopping || this.inFlight.has(inst.key)) continue;
      this.inFlight.add(inst.key);
      const base = inst.healthUrl.replace(/\/health$/, '');
      void this.poll(inst.key, `${base}/v1/feeds`).finally(() => this.inFlight.delete(inst.key));
    }
    for (const key of [...this.known]) {
      if (!present.has(key)) {
        this.known.delete(key);
        this.board.forgetInstance(key);
      }
    }
  }

  private async poll(key: string, url: string): Promise<void> {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.options.pollTimeoutMs) });
      if (!res.ok) throw new Error(`${url} answered ${res.status}`);
      const body = GatewayFeedsBodySchema.parse(await res.json());
      const items = feedEntries(body);
      const feeds: GatewayFeed[] = [];
      let invalid = 0;
      for (const item of items) {
        const parsed = GatewayFeedSchema.safeParse(item);
        if (parsed.success) feeds.push(parsed.data);
        else invalid++;
      }
      if (invalid) {
        this.pollErrors.inc(invalid);
        this.warnOnce(url, `${url}: ${invalid} feed entries dropped as malformed`);
      }
      this.board.applyGateway(key, feeds);
    } catch (err) {
      // Unreachable gateways are the poller's business; their feeds turn stale by age.
      this.pollErrors.inc();
      this.warnOnce(url, `${url}: ${(err as Error).message.slice(0, 200)}`);
    }
  }

  private warnOnce(url: string, message: string): void {
    if (this.warned.has(url)) return;
    this.warned.add(url);
    this.logger.warn(message);
  }
}
