import { MetricsRegistry } from '@cryptoscalp/metrics';

import { Injectable } from '@nestjs/common';
import type { Counter, Gauge, Histogram } from 'prom-client';

const BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000];
/** Apply lag, seconds: 1 ms to 1 min. */
const LAG_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60];

/** Every metric of cache-service (names `cs_cache_*`), declared once. */
@Injectable()
export class CacheMetrics {
  readonly updates: Counter<'kind'>;
  readonly ignored: Counter<'reason'>;
  readonly keysWritten: Counter;
  readonly updatesWritten: Counter;
  readonly conflationRatio: Gauge;
  readonly flushCommands: Histogram;
  readonly flushes: Counter<'result'>;
  readonly writesDropped: Counter<'kind'>;
  readonly pendingTrades: Gauge;
  readonly applyLag: Histogram;
  readonly applyLagLast: Gauge;
  readonly redisOp: Histogram<'op'>;
  readonly reads: Counter<'layer' | 'result' | 'namespace'>;
  readonly readLatency: Histogram<'source'>;
  readonly hitRatio: Gauge<'layer' | 'namespace'>;
  readonly redisConnected: Gauge;
  readonly invalidations: Counter<'direction'>;

  constructor(readonly registry: MetricsRegistry) {
    const m = registry;
    this.updates = m.counter('cache_updates_total', 'Market-data updates received by kind', ['kind']);
    this.ignored = m.counter('cache_updates_ignored_total', 'Updates not applied: older sequence, duplicate trade, unsynced book, limits', [
      'reason',
    ]);
    this.keysWritten = m.counter('cache_keys_written_total', 'Commands written to Redis by the flusher');
    this.updatesWritten = m.counter('cache_updates_written_total', 'Updates carried by successful flushes');
    this.conflationRatio = m.gauge('cache_conflation_ratio', 'Updates per Redis command written since start (1 = no conflation)');
    this.flushCommands = m.histogram('cache_flush_batch_commands', 'Commands per flush pipeline', [], BATCH_BUCKETS);
    this.flushes = m.counter('cache_flushes_total', 'Flushes by result (ok, failed, skipped while the breaker is open)', ['result']);
    this.writesDropped = m.counter('cache_writes_dropped_total', 'Writes dropped because Redis did not take them in time (bounded queue)', [
      'kind',
    ]);
    this.pendingTrades = m.gauge('cache_pending_trades', 'Trades waiting to be written to Redis');
    this.applyLag = m.histogram(
      'cache_apply_lag_seconds',
      'Time from the exchange event to its state being written to Redis',
      [],
      LAG_BUCKETS,
    );
    this.applyLagLast = m.gauge('cache_apply_lag_last_seconds', 'Apply lag of the last flush');
    this.redisOp = m.histogram('cache_redis_op_seconds', 'Redis operation latency (through the circuit breaker)', ['op']);
    this.reads = m.counter('cache_reads_total', 'Reads by layer and result', ['layer', 'result', 'namespace']);
    this.readLatency = m.histogram('cache_read_seconds', 'Read latency by source (near, redis, stale)', ['source']);
    this.hitRatio = m.gauge('cache_hit_ratio', 'Hit ratio since start per layer and namespace', ['layer', 'namespace']);
    this.redisConnected = m.gauge('cache_redis_connected', 'Redis connection is ready (1) or not (0)');
    this.invalidations = m.counter('cache_invalidations_total', 'Near-cache invalidation messages sent and received', ['direction']);
  }
}
