import type { ComponentResult, HealthComponent } from './health.types';

function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = process.hrtime.bigint();
  return work().then((value) => ({ value, ms: Math.round(Number(process.hrtime.bigint() - start) / 1e4) / 100 }));
}

function responsiveness(ms: number, warnMs: number, componentType: string): ComponentResult {
  return {
    status: ms >= warnMs ? 'warn' : 'pass',
    observedValue: ms,
    observedUnit: 'ms',
    componentType,
    ...(ms >= warnMs ? { output: `slow: ${ms} ms round trip (warn at ${warnMs} ms)` } : {}),
  };
}

/** The parts of our NATS connector the check needs. */
export interface NatsProbeTarget {
  readonly state: string;
  readonly error?: string;
  rtt(): Promise<number>;
}

/** NATS: connection state plus a real PING/PONG round trip to the server. */
export function natsComponent(nats: NatsProbeTarget, opts: { critical?: boolean; warnMs?: number } = {}): HealthComponent {
  return {
    name: 'nats',
    critical: opts.critical ?? true,
    async check() {
      if (nats.state !== 'connected') {
        return { status: 'fail', componentType: 'datastore', output: `NATS ${nats.state}${nats.error ? `: ${nats.error}` : ''}` };
      }
      const { ms } = await timed(() => nats.rtt());
      return responsiveness(ms, opts.warnMs ?? 100, 'datastore');
    },
  };
}

/** The part of an ioredis client the check needs. */
export interface RedisProbeTarget {
  readonly status: string;
  ping(): Promise<string>;
}

/** Redis: a real PING (the client's offline queue is off, so a down server fails fast). */
export function redisComponent(redis: RedisProbeTarget, opts: { critical?: boolean; warnMs?: number } = {}): HealthComponent {
  return {
    name: 'redis',
    critical: opts.critical ?? true,
    async check() {
      if (redis.status !== 'ready') {
        return { status: 'fail', componentType: 'datastore', output: `Redis connection ${redis.status}` };
      }
      const { value, ms } = await timed(() => redis.ping());
      if (value !== 'PONG') return { status: 'fail', componentType: 'datastore', output: `unexpected PING reply ${value}` };
      return responsiveness(ms, opts.warnMs ?? 50, 'datastore');
    },
  };
}

/** The part of a TypeORM DataSource (or pg Pool) the check needs. */
export interface PostgresProbeTarget {
  readonly isInitialized?: boolean;
  query(sql: string): Promise<unknown>;
}

/** Postgres: `SELECT 1` through the pool. */
export function postgresComponent(
  pg: PostgresProbeTarget,
  opts: { critical?: boolean; warnMs?: number; name?: string; lastError?: () => string | undefined; ready?: () => boolean } = {},
): HealthComponent {
  return {
    name: opts.name ?? 'postgres',
    critical: opts.critical ?? true,
    async check() {
      if (pg.isInitialized === false || opts.ready?.() === false) {
        const why = opts.lastError?.();
        return { status: 'fail', componentType: 'datastore', output: `Postgres not connected${why ? `: ${why}` : ''}` };
      }
      const { ms } = await timed(() => pg.query('SELECT 1'));
      return responsiveness(ms, opts.warnMs ?? 100, 'datastore');
    },
  };
}
