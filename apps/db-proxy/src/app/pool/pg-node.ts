import type { ResiliencePolicy } from '@cryptoscalp/circuit-breaker';

import { Pool, type PoolConfig } from 'pg';

export type NodeRole = 'unknown' | 'primary' | 'replica';

export interface NodeStatus {
  name: string;
  role: NodeRole;
  /** Admitted: answered its last probes (ejected after `ejectAfter` failures in a row). */
  healthy: boolean;
  breaker: string;
  latencyMs: number | undefined;
  /** Timeline of the node's last checkpoint: a promoted replica moves to a higher one. */
  timeline: number;
  lastError: string | undefined;
  pool: { total: number; idle: number; waiting: number };
}

export interface PgNodeOptions {
  url: string;
  password?: string;
  schema: string;
  applicationName: string;
  poolMax: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}

/** `host:port`, never the credentials (used in logs, metrics and health). */
export function nodeName(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '5432'}`;
}

/**
 * One Postgres server: a `pg` pool for the work and a one-connection pool for the probes (so a
 * saturated work pool never makes a healthy node look dead). Every connection has the service's
 * schema on its `search_path`, a connect timeout, a server-side statement timeout and a
 * client-side read timeout (a peer that vanishes without a RST still fails the query).
 */
export class PgNode {
  readonly name: string;
  readonly pool: Pool;
  private readonly probePool: Pool;
  role: NodeRole = 'unknown';
  healthy = false;
  latencyMs: number | undefined;
  timeline = 0;
  lastError: string | undefined;
  failures = 0;
  successes = 0;

  constructor(
    readonly options: PgNodeOptions,
    readonly breaker: ResiliencePolicy,
  ) {
    this.name = nodeName(options.url);
    const searchPath = options.schema === 'public' ? 'public' : `"${options.schema}",public`;
    const base: PoolConfig = {
      connectionString: options.url,
      password: options.password,
      application_name: options.applicationName,
      connectionTimeoutMillis: options.connectTimeoutMs,
      statement_timeout: options.statementTimeoutMs,
      // Client-side: the server never answered (partition, frozen host). Longer than any
      // statement timeout a caller may set (ingest sets its own per transaction).
      query_timeout: Math.max(options.statementTimeoutMs, 60_000) + 5_000,
      idle_in_transaction_session_timeout: 60_000,
      keepAlive: true,
      options: `-c search_path=${searchPath}`,
    };
    this.pool = new Pool({ ...base, max: options.poolMax, idleTimeoutMillis: 30_000 });
    this.probePool = new Pool({ ...base, max: 1, statement_timeout: options.connectTimeoutMs, query_timeout: options.connectTimeoutMs + 500 });
    // An idle client whose server went away emits 'error' on the pool: it is removed; never crash.
    this.pool.on('error', (err) => (this.lastError = err.message));
    this.probePool.on('error', (err) => (this.lastError = err.message));
  }

  /** `pg_is_in_recovery()` and the checkpoint timeline, with the round-trip time. */
  async probe(): Promise<{ inRecovery: boolean; timeline: number; ms: number }> {
    const t0 = performance.now();
    const { rows } = await this.probePool.query<{ r: boolean; tl: number | null }>(
      'SELECT pg_is_in_recovery() AS r, (SELECT timeline_id FROM pg_control_checkpoint()) AS tl',
    );
    const row = rows[0];
    return { inRecovery: row?.r ?? true, timeline: row?.tl ?? 0, ms: performance.now() - t0 };
  }

  status(): NodeStatus {
    return {
      name: this.name,
      role: this.role,
      healthy: this.healthy,
      breaker: this.breaker.state,
      latencyMs: this.latencyMs === undefined ? undefined : Math.round(this.latencyMs * 100) / 100,
      timeline: this.timeline,
      lastError: this.lastError,
      pool: { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount },
    };
  }

  /** Usable for new work: admitted and its breaker lets calls through. */
  get usable(): boolean {
    return this.healthy && this.breaker.state !== 'open' && this.breaker.state !== 'isolated';
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.pool.end(), this.probePool.end()]);
  }
}
