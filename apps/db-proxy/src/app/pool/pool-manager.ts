import { Backoff, BrokenCircuitError, IsolatedCircuitError, type ResilienceRegistry } from '@cryptoscalp/circuit-breaker';
import { MetricsRegistry } from '@cryptoscalp/metrics';

import type { PoolClient } from 'pg';
import type { Histogram } from 'prom-client';

import { isNodeFailure, NoNodeAvailableError } from './pg-errors';
import { nodeName, type NodeStatus, PgNode, type PgNodeOptions } from './pg-node';

export type Target = 'primary' | 'replica';

export interface PoolManagerOptions extends Omit<PgNodeOptions, 'url'> {
  urls: string[];
  healthIntervalMs: number;
  /** Failed probes in a row before a node is ejected; good probes in a row before it is re-admitted. */
  ejectAfter: number;
  slowQueryMs: number;
  /** Attempts of idempotent work before the last error is returned. */
  retryAttempts: number;
}

export interface RunOptions {
  /**
   * Safe to run twice (reads, the ingest batch with ON CONFLICT DO NOTHING): retried with backoff
   * on another node or the new primary. Other work gets one attempt once a node was chosen.
   */
  idempotent?: boolean;
}

export interface PoolLogger {
  log(message: string): void;
  warn(message: string): void;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Routes work to a set of Postgres servers: writes to the current primary, reads to healthy
 * replicas (round robin, falling back to the primary). Each node is probed every
 * `healthIntervalMs` (`pg_is_in_recovery()`, latency); a promoted replica becomes the write
 * target on the next probe round (or at once when a write fails: a node failure triggers a round).
 * Every node has its own circuit breaker from the shared registry; only idempotent work is retried.
 */
export class PoolManager {
  readonly nodes: PgNode[];
  private current: PgNode | undefined;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private roundAgain = false;
  private changeWaiters: (() => void)[] = [];
  private rr = 0;
  private stopped = false;
  private readonly latency: Histogram<'query' | 'role'> | undefined;
  private readonly errors;
  private readonly primaryChanges;
  private readonly listeners: ((next: PgNode | undefined, previous: PgNode | undefined) => void)[] = [];

  constructor(
    readonly options: PoolManagerOptions,
    resilience: ResilienceRegistry,
    private readonly logger: PoolLogger,
    metrics?: MetricsRegistry,
  ) {
    const seen = new Set<string>();
    this.nodes = options.urls.map((url) => {
      const name = nodeName(url);
      if (seen.has(name)) throw new Error(`Postgres node ${name} is listed twice`);
      seen.add(name);
      const breaker =
        resilience.get(`postgres:${name}`) ??
        resilience.create(`postgres:${name}`, {
          breaker: { window: { kind: 'consecutive', failures: 5 }, halfOpenAfterMs: 2_000, critical: false },
        });
      return new PgNode({ ...options, url }, breaker);
    });
    if (metrics) {
      const nodes = this.nodes;
      this.latency = metrics.histogram('db_query_duration_seconds', 'Postgres query latency by query name and node role', ['query', 'role']);
      metrics.gauge('db_pool_connections', 'Connections of each node pool by state (total, idle, waiting clients)', ['node', 'state'], function () {
        for (const n of nodes) {
          this.set({ node: n.name, state: 'total' }, n.pool.totalCount);
          this.set({ node: n.name, state: 'idle' }, n.pool.idleCount);
          this.set({ node: n.name, state: 'waiting' }, n.pool.waitingCount);
        }
      });
      metrics.gauge('db_node_up', 'Node admitted (1) or ejected (0), by role', ['node', 'role'], function () {
        this.reset();
        for (const n of nodes) this.set({ node: n.name, role: n.role }, n.healthy ? 1 : 0);
      });
      metrics.gauge('db_node_probe_seconds', 'Round trip of the last health probe of each node', ['node'], function () {
        for (const n of nodes) if (n.latencyMs !== undefined) this.set({ node: n.name }, n.latencyMs / 1000);
      });
    }
    this.errors = metrics?.counter('db_query_errors_total', 'Failed Postgres work by query name and kind (node failure or query error)', ['query', 'kind']);
    this.primaryChanges = metrics?.counter('db_primary_changes_total', 'Times the write target changed');
  }

  start(): void {
    if (this.timer || this.stopped) return;
    void this.probeRound();
    this.timer = setInterval(() => void this.probeRound(), this.options.healthIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const w of this.changeWaiters.splice(0)) w();
    await this.round?.catch(() => undefined);
    await Promise.all(this.nodes.map((n) => n.close()));
  }

  /** The current write target. */
  get primary(): PgNode | undefined {
    return this.current;
  }

  status(): NodeStatus[] {
    return this.nodes.map((n) => n.status());
  }

  onPrimaryChange(listener: (next: PgNode | undefined, previous: PgNode | undefined) => void): void {
    this.listeners.push(listener);
  }

  /** Resolves once a primary is known (or after `timeoutMs`, with whether one is). */
  async whenPrimary(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.current?.usable && !this.stopped) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await this.waitChange(left);
    }
    return Boolean(this.current?.usable);
  }

  /** One query on a pooled connection of the target (see `run`). */
  async query<R extends object = Record<string, unknown>>(
    name: string,
    target: Target,
    sql: string,
    params: unknown[] = [],
    options: RunOptions = {},
  ): Promise<R[]> {
    return this.run(name, target, async (client) => (await client.query<R>(sql, params)).rows, options);
  }

  /**
   * Runs `work` with a connection of a node of `target`, through that node's breaker. Node
   * failures (connection lost, node shutting down, a write on a replica) trigger a probe round and,
   * for idempotent work, a retry on whichever node is then the target. Query errors (bad input,
   * statement timeout) go back to the caller at once and never count against the node.
   */
  async run<T>(name: string, target: Target, work: (client: PoolClient) => Promise<T>, options: RunOptions = {}): Promise<T> {
    const backoff = new Backoff({ initialDelayMs: 100, maxDelayMs: 1_000 });
    for (let attempt = 1; ; attempt++) {
      const node = this.pick(target);
      let error: unknown;
      // Without a node nothing was sent: waiting for one is safe for any work.
      let mayRetry = true;
      if (!node) {
        error = new NoNodeAvailableError(target, this.describe());
      } else {
        const outcome = await this.execute(node, name, work);
        if (outcome.ok) return outcome.value;
        error = outcome.error;
        const nodeFault = isNodeFailure(error) || error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError;
        this.errors?.inc({ query: name, kind: nodeFault ? 'node' : 'query' });
        if (!nodeFault) throw error;
        this.probeSoon();
        mayRetry = options.idempotent === true || error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError;
      }
      if (!mayRetry || attempt >= this.options.retryAttempts || this.stopped) throw error;
      await this.waitChange(backoff.next());
    }
  }

  private async execute<T>(node: PgNode, name: string, work: (client: PoolClient) => Promise<T>): Promise<Outcome<T>> {
    const t0 = performance.now();
    let outcome: Outcome<T>;
    try {
      outcome = await node.breaker.execute(async (): Promise<Outcome<T>> => {
        const client = await node.pool.connect();
        // A connection that dies between two statements of the work emits 'error' on the client
        // (not on the pool): without a listener that is an uncaught exception. The work's next
        // statement fails with it anyway.
        const onError = (err: Error) => (node.lastError = err.message);
        client.on('error', onError);
        try {
          const value = await work(client);
          client.off('error', onError);
          client.release();
          return { ok: true, value };
        } catch (error) {
          client.off('error', onError);
          // Never reuse a connection after an error (it may sit in an aborted transaction).
          client.release(error instanceof Error ? error : true);
          // Only node failures count against the breaker.
          if (isNodeFailure(error)) throw error;
          return { ok: false, error };
        }
      });
    } catch (error) {
      node.lastError = (error as Error).message;
      outcome = { ok: false, error };
    }
    const ms = performance.now() - t0;
    this.latency?.observe({ query: name, role: node.role }, ms / 1000);
    if (ms >= this.options.slowQueryMs) this.logger.warn(`slow query ${name} on ${node.name} (${node.role}): ${Math.round(ms)} ms`);
    return outcome;
  }

  private pick(target: Target): PgNode | undefined {
    const primary = this.current?.usable ? this.current : undefined;
    if (target === 'primary') return primary;
    const replicas = this.nodes.filter((n) => n.role === 'replica' && n.usable);
    if (replicas.length === 0) return primary;
    this.rr = (this.rr + 1) % replicas.length;
    return replicas[this.rr];
  }

  private describe(): string {
    return this.nodes.map((n) => `${n.name} ${n.healthy ? n.role : `down${n.lastError ? ` (${n.lastError})` : ''}`}`).join(', ');
  }

  /** Runs a probe round now (coalesced with one in progress). */
  probeSoon(): void {
    if (this.round) this.roundAgain = true;
    else void this.probeRound();
  }

  /** Probes every node, updates admission and roles, elects the write target. */
  probeRound(): Promise<void> {
    if (this.round || this.stopped) return this.round ?? Promise.resolve();
    this.round = (async () => {
      do {
        this.roundAgain = false;
        await Promise.all(this.nodes.map((n) => this.probe(n)));
        this.elect();
      } while (this.roundAgain && !this.stopped);
    })().finally(() => {
      this.round = undefined;
      for (const w of this.changeWaiters.splice(0)) w();
    });
    return this.round;
  }

  private async probe(node: PgNode): Promise<void> {
    const firstContact = node.role === 'unknown';
    try {
      const { inRecovery, timeline, ms } = await node.probe();
      node.latencyMs = ms;
      node.timeline = timeline;
      const role = inRecovery ? 'replica' : 'primary';
      if (node.role !== role && !firstContact) this.logger.warn(`Postgres node ${node.name} is now a ${role}`);
      node.role = role;
      node.failures = 0;
      node.successes++;
      if (!node.healthy && (firstContact || node.successes >= this.options.ejectAfter)) {
        node.healthy = true;
        node.lastError = undefined;
        this.logger.log(`Postgres node ${node.name} admitted (${role}, ${ms.toFixed(1)} ms)`);
      }
    } catch (err) {
      node.lastError = (err as Error).message;
      node.successes = 0;
      node.failures++;
      if (node.healthy && node.failures >= this.options.ejectAfter) {
        node.healthy = false;
        this.logger.warn(`Postgres node ${node.name} ejected after ${node.failures} failed probes: ${node.lastError}`);
      }
    }
  }

  /**
   * The write target: an admitted node that is not in recovery. Two such nodes happen for a moment
   * after a promotion while the old primary still runs: the higher timeline (the promoted one) wins.
   */
  private elect(): void {
    const candidates = this.nodes.filter((n) => n.healthy && n.role === 'primary');
    candidates.sort((a, b) => b.timeline - a.timeline || (a === this.current ? -1 : b === this.current ? 1 : 0));
    const next = candidates[0];
    if (next === this.current) return;
    const previous = this.current;
    this.current = next;
    this.primaryChanges?.inc();
    if (next) this.logger.log(`Postgres primary is now ${next.name} (timeline ${next.timeline})${previous ? `, was ${previous.name}` : ''}`);
    else this.logger.warn(`no Postgres primary: ${this.describe()}`);
    for (const l of this.listeners) l(next, previous);
  }

  private waitChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const waiters = this.changeWaiters;
      function done() {
        clearTimeout(timer);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      this.changeWaiters.push(done);
    });
  }
}
