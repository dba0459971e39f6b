import { type BatchSubscription, NatsConnector, Subjects } from '@cryptoscalp/messaging';
import { REDIS_CLIENT } from '@cryptoscalp/redis';

import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';

import { CACHE_CONFIG, SERVICE_NAME } from '../cache.constants';
import type { CacheConfig } from '../cache-service.config';
import { NearCacheService } from '../near-cache/near-cache.service';
import { type RedisClient, RedisStore } from '../store/redis-store';
import { CacheMetrics } from '../telemetry/cache-metrics';
import { FlushWriter } from './flush-writer';
import { MarketState } from './market-state';
import { type Decoded, marketDataDecoder } from './md-decoder';

/**
 * Consumes `md.>` through the data plane's batch subscription in the shard's queue group
 * (`q.cache-service.md.<i>of<n>`), applies each batch to the market state, and runs the flusher.
 */
@Injectable()
export class IngestService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(IngestService.name);
  readonly state: MarketState;
  readonly writer: FlushWriter;
  readonly queue: string;
  private sub: BatchSubscription<Decoded> | undefined;
  private everReady = false;

  constructor(
    @Inject(CACHE_CONFIG) private readonly config: CacheConfig,
    @Inject(REDIS_CLIENT) private readonly client: RedisClient,
    private readonly nats: NatsConnector,
    private readonly subjects: Subjects,
    store: RedisStore,
    near: NearCacheService,
    metrics: CacheMetrics,
  ) {
    this.state = new MarketState({
      bookDepth: config.CACHE_BOOK_DEPTH,
      tradesMaxLen: config.CACHE_TRADES_MAXLEN,
      candlesKeep: { '1s': config.CACHE_CANDLES_1S_KEEP, '1m': config.CACHE_CANDLES_1M_KEEP },
      l1TtlMs: config.CACHE_L1_TTL_MS,
      bookTtlMs: config.CACHE_BOOK_TTL_MS,
      historyTtlMs: config.CACHE_HISTORY_TTL_MS,
      bboStaleMs: config.CACHE_BBO_STALE_MS,
      maxPendingTrades: config.CACHE_MAX_PENDING_TRADES,
      maxInstruments: config.CACHE_MAX_INSTRUMENTS,
    });
    this.writer = new FlushWriter(this.state, store, near, metrics, config.CACHE_FLUSH_MS);
    const { index, count } = config.CACHE_SHARD;
    this.queue = `${subjects.queueGroup(SERVICE_NAME)}.md.${index}of${count}`;
  }

  onApplicationBootstrap(): void {
    // Every reconnect after the first may find an empty Redis (restarted without persistence).
    if (this.client.status === 'ready') this.everReady = true;
    this.client.on('ready', () => {
      if (this.everReady) {
        this.logger.warn('Redis reconnected: rewriting the whole state on the next flush');
        this.writer.resyncAll();
      }
      this.everReady = true;
    });
    const subject = `${this.subjects.prefix}md.>`;
    this.sub = this.nats.subscribeBatch<Decoded>(subject, (batch) => this.apply(batch), {
      queue: this.queue,
      decoder: marketDataDecoder(this.config.CACHE_SHARD),
      maxBatch: 5000,
      maxPending: 200_000,
    });
    this.writer.start();
    this.logger.log(`ingesting ${subject} in queue group ${this.queue}, flushing every ${this.config.CACHE_FLUSH_MS} ms`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.sub?.drain();
    await this.writer.stop();
  }

  /** The batch handler: synchronous, no I/O. */
  apply(batch: Decoded[]): void {
    const s = this.state;
    for (let i = 0; i < batch.length; i++) {
      const u = batch[i] as Decoded;
      switch (u.kind) {
        case 'l2':
          s.applyL2(u.m);
          break;
        case 'l1':
          s.applyL1(u.m);
          break;
        case 'trade':
          s.applyTrade(u.m);
          break;
        case 'status':
          s.applyStatus(u.m);
          break;
        default:
          break;
      }
    }
  }
}
