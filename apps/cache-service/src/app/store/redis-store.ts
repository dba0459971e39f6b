import type { ResiliencePolicy } from '@cryptoscalp/circuit-breaker';

import type { Cluster, Redis } from 'ioredis';
import type { Histogram } from 'prom-client';

import { hashTag } from '../market/keys';

export type RedisClient = Redis | Cluster;
/** One command of a pipeline: name then arguments (`['set', key, value, 'PX', '1000']`). */
export type Command = (string | number)[];

export interface ExecResult {
  /** Commands Redis rejected one by one (wrong type, …); the pipeline itself went through. */
  commandErrors: number;
  firstError?: string;
}

/**
 * The only way the service talks to Redis: every call goes through the `redis` circuit breaker
 * (which fails fast while it is open) and is timed per operation. Works on standalone, Sentinel
 * and Cluster clients: in cluster mode a pipeline is split by hash tag (one per slot group).
 */
export class RedisStore {
  constructor(
    readonly client: RedisClient,
    private readonly policy: ResiliencePolicy,
    private readonly latency: Histogram<'op'>,
    private readonly cluster = false,
  ) {}

  /**
   * Worth trying: connected and not isolated by hand. An open breaker still gets the call: cockatiel
   * rejects it at once, or lets it through as the half-open probe that closes the breaker again
   * (skipping calls while open would never probe).
   */
  get available(): boolean {
    return this.client.status === 'ready' && this.policy.state !== 'isolated';
  }

  get breakerState(): string {
    return this.policy.state;
  }

  get(key: string): Promise<string | null> {
    return this.run('get', () => this.client.get(key));
  }

  mget(keys: string[]): Promise<(string | null)[]> {
    return this.run('mget', () => this.client.mget(keys));
  }

  set(key: string, value: string, ttlMs?: number): Promise<unknown> {
    return this.run('set', () => (ttlMs ? this.client.set(key, value, 'PX', ttlMs) : this.client.set(key, value)));
  }

  del(key: string): Promise<number> {
    return this.run('del', () => this.client.del(key));
  }

  /** Newest first. */
  xrevrange(key: string, count: number): Promise<[id: string, fields: string[]][]> {
    return this.run('xrevrange', () => this.client.xrevrange(key, '+', '-', 'COUNT', count));
  }

  /** Highest score first. */
  zrevrange(key: string, count: number): Promise<string[]> {
    return this.run('zrevrange', () => this.client.zrevrange(key, 0, count - 1));
  }

  /** Runs the commands pipelined (not transactional). Rejects when the pipeline fails as a whole. */
  exec(commands: Command[]): Promise<ExecResult> {
    return this.run('pipeline', async () => {
      const groups = this.cluster ? groupBySlotTag(commands) : [commands];
      const results = await Promise.all(groups.map((g) => this.client.pipeline(g as string[][]).exec()));
      const out: ExecResult = { commandErrors: 0 };
      for (const r of results) {
        if (!r) throw new Error('pipeline aborted');
        for (const [err] of r) {
          if (err) {
            out.commandErrors++;
            out.firstError ??= err.message;
          }
        }
      }
      return out;
    });
  }

  private async run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const start = process.hrtime.bigint();
    try {
      return await this.policy.execute(fn);
    } finally {
      this.latency.observe({ op }, Number(process.hrtime.bigint() - start) / 1e9);
    }
  }
}

function groupBySlotTag(commands: Command[]): Command[][] {
  const groups = new Map<string, Command[]>();
  for (const c of commands) {
    const tag = hashTag(String(c[1]));
    let g = groups.get(tag);
    if (!g) groups.set(tag, (g = []));
    g.push(c);
  }
  return [...groups.values()];
}
