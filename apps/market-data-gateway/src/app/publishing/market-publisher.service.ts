import { BackgroundRetry } from '@cryptoscalp/circuit-breaker';
import { HealthRegistry } from '@cryptoscalp/health';
import { ensureStream, NatsConnector, Subjects, tradesStreamSpec } from '@cryptoscalp/messaging';
import { MetricsRegistry } from '@cryptoscalp/metrics';
import { PLATFORM_OPTIONS, type PlatformOptions } from '@cryptoscalp/platform';

import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';

import type { GatewayConfig } from '../market-data-gateway.config';
import { type MessageKind, NatsMarketSink } from './nats-market-sink';

/**
 * Hosts the NATS publishing of market data: the `MD_TRADES` stream created idempotently in the
 * background at start-up (the service boots while NATS is down), the sink the feeds publish
 * through, and its health and metrics. Drained by the feed manager on shutdown.
 */
@Injectable()
export class MarketPublisherService implements OnApplicationBootstrap {
  private readonly logger = new Logger(MarketPublisherService.name);
  readonly sink: NatsMarketSink;
  private streamRetry: BackgroundRetry<unknown> | undefined;
  streamReady = false;
  /** Set by the feed manager: republish the books of these `venue|symbol` keys. */
  onL2Lost: (keys: Set<string>) => void = () => undefined;
  onDrop: (venue: string, kind: MessageKind) => void = () => undefined;
  /** Set by the feed manager: a message was handed to NATS (the receive → publish histogram). */
  onPublished: (venue: string, kind: MessageKind, recvTs: number | undefined) => void = () => undefined;

  constructor(
    @Inject(PLATFORM_OPTIONS) private readonly options: PlatformOptions<GatewayConfig>,
    private readonly nats: NatsConnector,
    private readonly subjects: Subjects,
    private readonly health: HealthRegistry,
    private readonly metrics: MetricsRegistry,
  ) {
    const cfg = options.config;
    this.sink = new NatsMarketSink(nats, subjects, {
      maxBuffered: cfg.GATEWAY_NATS_BUFFER,
      maxTradesBuffered: cfg.GATEWAY_TRADE_BUFFER,
      ackWindow: 4096,
      onDrop: (venue, kind) => this.onDrop(venue, kind),
      onL2Lost: (keys) => this.onL2Lost(keys),
      onPublished: (venue, kind, recvTs) => this.onPublished(venue, kind, recvTs),
    });
  }

  onApplicationBootstrap(): void {
    this.streamRetry = new BackgroundRetry(
      async () => {
        const nc = await this.nats.connection();
        await ensureStream(await nc.jetstreamManager(), tradesStreamSpec(this.subjects));
      },
      {
        initialDelayMs: 500,
        maxDelayMs: 10_000,
        onFailure: (err, attempt) => {
          if (attempt === 1 || attempt % 10 === 0)
            this.logger.warn(`stream ${this.subjects.stream('MD_TRADES')} not ready: ${err.message}`);
        },
      },
    );
    this.streamRetry.done.then(
      () => {
        this.streamReady = true;
        this.logger.log(`stream ${this.subjects.stream('MD_TRADES')} ready`);
      },
      () => undefined,
    );
    const sink = this.sink;
    this.metrics.gauge(
      'gateway_publish_buffered',
      'Messages held for NATS (core: L1/L2/status; trades: JetStream)',
      ['queue'],
      function () {
        this.set({ queue: 'core' }, sink.bufferedCore);
        this.set({ queue: 'trades' }, sink.bufferedTrades);
      },
    );
    this.health.register({
      name: 'publishing',
      critical: false,
      check: () => {
        const held = sink.bufferedCore + sink.bufferedTrades;
        const dropped = sink.stats.coreDropped + sink.stats.tradesDropped;
        if (!this.streamReady && held > 0)
          return {
            status: 'warn',
            measurement: 'buffered',
            observedValue: held,
            observedUnit: 'messages',
            output: 'trades stream not created yet',
          };
        if (dropped > 0 || held > 10_000) {
          return {
            status: 'warn',
            measurement: 'buffered',
            observedValue: held,
            observedUnit: 'messages',
            output: `${held} held, ${dropped} dropped while NATS was unreachable`,
          };
        }
        return { status: 'pass', measurement: 'buffered', observedValue: held, observedUnit: 'messages' };
      },
    });
  }

  /** Waits (bounded) for held trades to reach JetStream, then stops. */
  async drain(timeoutMs: number): Promise<void> {
    this.streamRetry?.stop();
    await this.sink.drain(timeoutMs);
    this.sink.stop();
  }
}
