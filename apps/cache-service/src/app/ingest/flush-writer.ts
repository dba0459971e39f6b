import type { RedisStore } from '../store/redis-store';
import type { CacheMetrics } from '../telemetry/cache-metrics';
import type { MarketState, WriteBatch } from './market-state';

/** Where a written batch goes once Redis has it: the local near cache and the other replicas. */
export interface WrittenListener {
  written(values: WriteBatch['values']): void;
}

const SWEEP_EVERY_MS = 250;

/**
 * Every flush window, writes what the market state has conflated as one pipeline (one at a time:
 * while a pipeline is in flight, updates keep conflating). While the Redis breaker is open nothing
 * is sent and the state stays dirty; a failed batch is restored (its keys dirty again, its trades
 * queued again, bounded). When the client reconnects, everything held is marked dirty, so every key
 * is correct again after the next flush even if Redis came back empty.
 */
export class FlushWriter {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private lastSweep = 0;
  private updatesWritten = 0;
  private keysWritten = 0;
  private stopped = false;
  private readonly seen = { updates: {} as Record<string, number>, ignored: {} as Record<string, number>, tradesDropped: 0 };
  /** Apply lag of the last successful flush, ms. */
  lastLagMs = 0;
  lastError: string | undefined;
  consecutiveFailures = 0;

  constructor(
    private readonly state: MarketState,
    private readonly store: RedisStore,
    private readonly listener: WrittenListener,
    private readonly metrics: CacheMetrics,
    private readonly flushMs: number,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /** Stops the timer and writes what is left (best effort, bounded by the breaker's timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
    if (this.state.hasWork && this.store.available) await this.flush();
  }

  /** Redis came back (possibly empty): write everything again. */
  resyncAll(): void {
    this.state.markAllDirty();
  }

  /** One flush now (also used by tests and the benchmark); resolves when it is written or failed. */
  flush(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    const now = Date.now();
    if (now - this.lastSweep >= SWEEP_EVERY_MS) {
      this.lastSweep = now;
      this.state.sweepStaleQuotes();
    }
    this.syncCounters();
    if (!this.state.hasWork) return Promise.resolve();
    if (!this.store.available) {
      this.metrics.flushes.inc({ result: 'skipped' });
      return Promise.resolve();
    }
    const batch = this.state.collect();
    this.inFlight = this.write(batch).finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async write(batch: WriteBatch): Promise<void> {
    const n = batch.commands.length;
    try {
      const result = await this.store.exec(batch.commands);
      if (result.commandErrors) this.lastError = `${result.commandErrors} commands rejected: ${result.firstError ?? ''}`;
      this.consecutiveFailures = 0;
      this.metrics.flushes.inc({ result: 'ok' });
      this.metrics.flushCommands.observe(n);
      this.metrics.keysWritten.inc(n);
      this.metrics.updatesWritten.inc(batch.updates);
      this.updatesWritten += batch.updates;
      this.keysWritten += n;
      if (this.keysWritten) this.metrics.conflationRatio.set(this.updatesWritten / this.keysWritten);
      if (batch.newestTs) {
        this.lastLagMs = Math.max(0, Date.now() - batch.newestTs);
        this.metrics.applyLag.observe(this.lastLagMs / 1000);
        this.metrics.applyLagLast.set(this.lastLagMs / 1000);
      }
      this.listener.written(batch.values);
    } catch (err) {
      this.consecutiveFailures++;
      this.lastError = (err as Error).message;
      this.metrics.flushes.inc({ result: 'failed' });
      this.state.restore(batch);
    }
  }

  /** Copies the state's plain counters into the Prometheus counters (increments since the last call). */
  private syncCounters(): void {
    const c = this.state.counters;
    const seen = this.seen;
    for (const kind of Object.keys(c.updates) as (keyof typeof c.updates)[]) {
      const d = c.updates[kind] - (seen.updates[kind] ?? 0);
      if (d) this.metrics.updates.inc({ kind }, d);
      seen.updates[kind] = c.updates[kind];
    }
    for (const reason of Object.keys(c.ignored) as (keyof typeof c.ignored)[]) {
      const d = c.ignored[reason] - (seen.ignored[reason] ?? 0);
      if (d) this.metrics.ignored.inc({ reason }, d);
      seen.ignored[reason] = c.ignored[reason];
    }
    if (c.tradesDropped > seen.tradesDropped) this.metrics.writesDropped.inc({ kind: 'trade' }, c.tradesDropped - seen.tradesDropped);
    seen.tradesDropped = c.tradesDropped;
    this.metrics.pendingTrades.set(this.state.pendingTrades);
  }

  get conflationRatio(): number {
    return this.keysWritten ? this.updatesWritten / this.keysWritten : 0;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.flush().finally(() => this.schedule());
    }, this.flushMs);
    this.timer.unref?.();
  }
}
