import { baseEnv, httpPort, natsEnv, redisEnv } from '@cryptoscalp/config';

import { z } from 'zod';

const int = (fallback: number, min: number, max: number, what: string) =>
  z.coerce
    .number({ error: `expected ${what}` })
    .int(`expected an integer: ${what}`)
    .min(min, `expected ${what} of at least ${min}`)
    .max(max, `expected ${what} of at most ${max}`)
    .default(fallback);

const ms = (fallback: number, min = 1, max = 86_400_000) => int(fallback, min, max, 'a duration in milliseconds');

const hostList = z
  .string()
  .default('')
  .transform((value, ctx) => {
    const hosts = value
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean);
    const parsed: { host: string; port: number }[] = [];
    for (const h of hosts) {
      const m = /^([A-Za-z0-9_.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(h);
      if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
        ctx.addIssue({ code: 'custom', message: `expected host:port pairs separated by commas (got an entry "${h.slice(0, 60)}")` });
        return z.NEVER;
      }
      parsed.push({ host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) });
    }
    return parsed;
  });

/** `i/N`: this replica keeps the symbols whose hash modulo N is i. */
const shard = z
  .string()
  .default('0/1')
  .transform((value, ctx) => {
    const m = /^(\d{1,4})\/(\d{1,4})$/.exec(value.trim());
    const index = Number(m?.[1]);
    const count = Number(m?.[2]);
    if (!m || count < 1 || index >= count) {
      ctx.addIssue({ code: 'custom', message: 'expected "<index>/<count>" with 0 <= index < count, e.g. "0/1" or "2/4"' });
      return z.NEVER;
    }
    return { index, count };
  });

/** Near-cache strategy of a namespace: `lru:<max entries>`, `lfu:<max entries>` or `ttl:<max entries>:<ttl ms>`. */
export const STRATEGY_PATTERN = /^(lru|lfu):(\d{1,7})$|^ttl:(\d{1,7}):(\d{1,9})$/;
const strategy = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((v) => STRATEGY_PATTERN.test(v), 'expected lru:<max>, lfu:<max> or ttl:<max>:<ttlMs>');
const namespaces = z
  .string()
  .default('')
  .refine(
    (v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .every((entry) => /^[A-Za-z0-9_-]{1,64}=/.test(entry) && STRATEGY_PATTERN.test(entry.slice(entry.indexOf('=') + 1))),
    'expected comma-separated <namespace>=<strategy> entries, e.g. "sessions=lru:10000,rates=ttl:500:2000"',
  );

/** Every variable cache-service reads, validated once at startup (see docs/cache-service.md: Configuration). */
export const CacheConfigSchema = z.object({
  ...baseEnv,
  ...natsEnv,
  ...redisEnv,
  HTTP_PORT: httpPort(3002),
  /** `standalone` uses REDIS_URL; `sentinel` REDIS_SENTINELS + REDIS_SENTINEL_NAME; `cluster` REDIS_CLUSTER_NODES. */
  REDIS_MODE: z.enum(['standalone', 'sentinel', 'cluster']).default('standalone'),
  REDIS_SENTINELS: hostList,
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected a Sentinel master name')
    .default('mymaster'),
  REDIS_CLUSTER_NODES: hostList,
  /** Levels per side kept in Redis for each book. */
  CACHE_BOOK_DEPTH: int(20, 1, 1000, 'a number of levels'),
  /** Conflation window: state changed within it is written once, in one pipeline. */
  CACHE_FLUSH_MS: ms(10, 1, 1000),
  CACHE_TRADES_MAXLEN: int(1000, 1, 100_000, 'a number of trades'),
  CACHE_CANDLES_1S_KEEP: int(600, 1, 100_000, 'a number of candles'),
  CACHE_CANDLES_1M_KEEP: int(1440, 1, 100_000, 'a number of candles'),
  /** L1 and books disappear from Redis this long after their last update. */
  CACHE_L1_TTL_MS: ms(60_000),
  CACHE_BOOK_TTL_MS: ms(60_000),
  /** Trades, candles and feed status disappear this long after their last update. */
  CACHE_HISTORY_TTL_MS: ms(3_600_000),
  /** A venue's quote older than this (local receive time) is left out of the consolidated BBO. */
  CACHE_BBO_STALE_MS: ms(5000),
  /** Market-data near cache: entries kept, and the age after which an entry is re-read from Redis. */
  CACHE_NEAR_MAX_ENTRIES: int(10_000, 1, 10_000_000, 'a number of entries'),
  CACHE_NEAR_MAX_AGE_MS: ms(1000, 1, 3_600_000),
  /** Generic KV namespaces and their near-cache strategy; other namespaces use CACHE_KV_DEFAULT. */
  CACHE_KV_NAMESPACES: namespaces,
  CACHE_KV_DEFAULT: strategy('lru:1000'),
  /** Health warns when the last update was applied this long after its exchange time. */
  CACHE_APPLY_LAG_WARN_MS: ms(2000),
  /** Trades waiting for Redis beyond this are dropped (oldest first) and counted. */
  CACHE_MAX_PENDING_TRADES: int(100_000, 1, 10_000_000, 'a number of trades'),
  /** Venue/symbol pairs kept; updates for more are dropped and counted. */
  CACHE_MAX_INSTRUMENTS: int(10_000, 1, 1_000_000, 'a number of instruments'),
  /** Ingest shard of this replica, `<index>/<count>` (by symbol); replicas of one shard form one queue group. */
  CACHE_SHARD: shard,
});
export type CacheConfig = z.infer<typeof CacheConfigSchema>;
