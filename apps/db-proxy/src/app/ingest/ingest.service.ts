import { BackgroundRetry } from '@cryptoscalp/circuit-breaker';
import {
  type BatchConsumer,
  consumeBatches,
  ensureConsumer,
  ensureStream,
  type JsBatch,
  NatsConnector,
  STREAMS,
  Subjects,
  type Trade,
  TradeDecoder,
  tradesStreamSpec,
} from '@cryptoscalp/messaging';
import { MetricsRegistry } from '@cryptoscalp/metrics';

import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AckPolicy, DeliverPolicy } from 'nats';

import type { DbProxyConfig } from '../db-proxy.config';
import { DB_PROXY_CONFIG } from '../db-proxy.constants';
import { PoolManager } from '../pool/pool-manager';
import { PartitionMaintainer } from '../schema/partition-maintainer';
import { SchemaService } from '../schema/schema.service';
import { TradeWriter } from './trade-writer';

const NS = 1_000_000;

/**
 * The durable JetStream consumer of `MD_TRADES` (shared by every replica: they split the
 * stream). Each pulled batch is written by `TradeWriter` in one transaction and acknowledged
 * only after it committed; a failed batch is nak'd and redelivered. While a batch is being
 * written one more is pulled and decoded, no further, so a slow or absent Postgres holds at most
 * two batches per replica in memory (the rest waits in the stream). Exports the lag: messages of the stream the
 * consumer has not had acknowledged yet.
 */
@Injectable()
export class IngestService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(IngestService.name);
  private consumer: BatchConsumer<Trade> | undefined;
  private setup: BackgroundRetry<void> | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private readonly writer: TradeWriter;
  readonly stream: string;
  /** Last measured lag (undefined until the consumer exists). */
  lag: number | undefined;
  private readonly trades;
  private readonly batchSeconds;

  constructor(
    @Inject(DB_PROXY_CONFIG) private readonly config: DbProxyConfig,
    private readonly nats: NatsConnector,
    private readonly subjects: Subjects,
    private readonly pool: PoolManager,
    partitions: PartitionMaintainer,
    private readonly schema: SchemaService,
    metrics: MetricsRegistry,
  ) {
    this.stream = subjects.stream(STREAMS.trades);
    this.writer = new TradeWriter(pool, partitions, { stream: this.stream, consumer: config.INGEST_DURABLE, writeTimeoutMs: config.POSTGRES_WRITE_TIMEOUT_MS });
    this.trades = metrics.counter('db_ingest_trades_total', 'Trades received from the stream, by outcome (inserted, duplicate, expired)', ['outcome']);
    this.batchSeconds = metrics.histogram('db_ingest_batch_seconds', 'Time to write and commit one batch', ['outcome']);
    const lag = () => this.lag;
    metrics.gauge('db_ingest_lag_messages', 'Messages of the trades stream not yet acknowledged by the consumer', [], function () {
      const value = lag();
      if (value !== undefined) this.set(value);
    });
  }

  onApplicationBootstrap(): void {
    if (!this.config.INGEST_ENABLED) return;
    this.setup = new BackgroundRetry(() => this.start(), {
      initialDelayMs: 250,
      maxDelayMs: 5_000,
      onFailure: (err, attempt) => {
        if (attempt === 1 || attempt % 10 === 0) this.logger.warn(`ingest not started (attempt ${attempt}): ${err.message}`);
      },
    });
  }

  get stats() {
    return this.consumer?.stats;
  }

  private async start(): Promise<void> {
    await this.schema.whenReady();
    const jsm = await (await this.nats.connection()).jetstreamManager();
    await ensureStream(jsm, tradesStreamSpec(this.subjects));
    const durable = this.config.INGEST_DURABLE;
    // Explicit acks, one per trade, each after its batch committed (consumeBatches refuses other
    // ack policies; the server cannot change a durable's policy).
    const info = await ensureConsumer(jsm, this.stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      // A crashed replica's batch comes back after this; a live one extends it (see handle).
      ack_wait: this.config.INGEST_ACK_WAIT_MS * NS,
      // Never give up on a trade: a long Postgres outage must not drop anything.
      max_deliver: -1,
      max_ack_pending: this.config.INGEST_BATCH_MAX * 4,
    });
    this.consumer = consumeBatches<Trade>(this.nats, {
      stream: this.stream,
      durable,
      decoder: TradeDecoder,
      batch: this.config.INGEST_BATCH_MAX,
      // Batches by size and time: a pull waits up to this long to fill, so a trade waits at most that long.
      fillWaitMs: this.config.INGEST_BATCH_WAIT_MS,
      // The next batch is pulled and decoded while this one commits (one more batch in memory at most).
      prefetch: true,
      nakDelayMs: 1000,
      handler: (batch) => this.handle(batch),
      logger: { log: (m) => this.logger.log(m), warn: (m) => this.logger.warn(m), error: (m) => this.logger.error(m) },
    });
    this.lagTimer = setInterval(() => void this.measureLag(), this.config.INGEST_LAG_INTERVAL_MS);
    this.lagTimer.unref();
    void this.measureLag();
    this.logger.log(
      `ingesting ${this.stream} with durable consumer ${durable} (batches of up to ${this.config.INGEST_BATCH_MAX}, ${info.config.ack_policy === AckPolicy.All ? 'one ack per batch' : 'explicit ack per trade'})`,
    );
  }

  /** One batch: wait for a primary (back-pressure: at most the one prefetched batch is pulled meanwhile), write, commit; the consumer acks after. */
  private async handle(batch: JsBatch<Trade>): Promise<void> {
    const t0 = performance.now();
    const items = batch.items;
    const trades = new Array<Trade>(items.length);
    const seqs = new Array<number>(items.length);
    for (let i = 0; i < items.length; i++) {
      const d = items[i] as (typeof items)[number];
      trades[i] = d.value;
      seqs[i] = d.msg.info.streamSequence;
    }
    // While this batch waits for a primary or is retried, tell the server it is in progress so it
    // is not redelivered under our feet; after a crash the pings stop and it comes back after ack_wait.
    const keepAlive = setInterval(() => {
      for (const d of items) d.msg.working();
    }, Math.max(250, Math.floor(this.config.INGEST_ACK_WAIT_MS / 3)));
    try {
      if (!(await this.pool.whenPrimary(this.config.POSTGRES_WRITE_TIMEOUT_MS))) throw new Error('no Postgres primary');
      const r = await this.writer.write(trades, seqs);
      this.trades.inc({ outcome: 'inserted' }, r.inserted);
      this.trades.inc({ outcome: 'duplicate' }, r.received - r.inserted - r.expired);
      if (r.expired) this.trades.inc({ outcome: 'expired' }, r.expired);
      this.batchSeconds.observe({ outcome: 'ok' }, (performance.now() - t0) / 1000);
    } catch (err) {
      this.batchSeconds.observe({ outcome: 'error' }, (performance.now() - t0) / 1000);
      throw err;
    } finally {
      clearInterval(keepAlive);
    }
  }

  private async measureLag(): Promise<void> {
    try {
      const jsm = await (this.nats.connectionOrUndefined ?? (await this.nats.connection())).jetstreamManager();
      const info = await jsm.consumers.info(this.stream, this.config.INGEST_DURABLE);
      this.lag = info.num_pending + info.num_ack_pending;
    } catch {
      /* NATS down: keep the last value; the nats health component reports the outage */
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.setup?.stop();
    if (this.lagTimer) clearInterval(this.lagTimer);
    await this.consumer?.stop();
  }
}
