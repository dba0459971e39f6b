import { baseEnv, httpPort, natsEnv, postgresEnv } from '@cryptoscalp/config';

import { z } from 'zod';

const ms = (fallback: number, min = 1) =>
  z.coerce
    .number({ error: 'expected a duration in milliseconds' })
    .int('expected a whole number of milliseconds')
    .min(min, `expected at least ${min} ms`)
    .default(fallback);

const count = (fallback: number, min: number, max: number, what: string) =>
  z.coerce
    .number({ error: `expected a number of ${what}` })
    .int(`expected a whole number of ${what}`)
    .min(min, `expected at least ${min} ${what}`)
    .max(max, `expected at most ${max} ${what}`)
    .default(fallback);

const flag = (fallback: 'true' | 'false') =>
  z
    .enum(['true', 'false', '1', '0'], { error: 'expected true or false' })
    .default(fallback)
    .transform((v) => v === 'true' || v === '1');

/** Comma-separated postgres:// URLs (primary and replicas, in any order: roles are detected). */
const nodeList = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value.trim() === '') return undefined;
    const urls = value
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean);
    for (const u of urls) {
      let parsed: URL;
      try {
        parsed = new URL(u);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected comma-separated postgres:// URLs' });
        return z.NEVER;
      }
      if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
        ctx.addIssue({ code: 'custom', message: `expected postgres:// URLs, got a ${parsed.protocol} URL` });
        return z.NEVER;
      }
    }
    return urls;
  });

/** Every variable db-proxy reads, validated once at startup (see docs/db-proxy.md: Configuration). */
export const DbProxyConfigSchema = z.object({
  ...baseEnv,
  ...natsEnv,
  ...postgresEnv,
  HTTP_PORT: httpPort(3003),

  // Pool manager
  /** Every Postgres node (primary and replicas); defaults to POSTGRES_URL alone. */
  POSTGRES_NODES: nodeList,
  /** Server-side statement timeout of every pooled connection (queries); 0 is refused. */
  POSTGRES_STATEMENT_TIMEOUT_MS: ms(5000),
  /** Statement timeout of the ingest transaction (COPY + INSERT of one batch). */
  POSTGRES_WRITE_TIMEOUT_MS: ms(30_000),
  /** How often each node is probed (`pg_is_in_recovery()`, latency). */
  POSTGRES_HEALTH_INTERVAL_MS: ms(1000, 100),
  /** Consecutive failed probes before a node is ejected (re-admitted after as many good ones). */
  POSTGRES_EJECT_AFTER: count(2, 1, 100, 'probes'),
  /** Queries slower than this are logged (name, node, duration; never the parameters). */
  POSTGRES_SLOW_QUERY_MS: ms(500),
  /** Attempts of idempotent work (reads, ingest batches) across nodes before giving up. */
  POSTGRES_RETRY_ATTEMPTS: count(4, 1, 20, 'attempts'),

  // Schema
  /** Run pending migrations at start-up (otherwise `nx run db-proxy:migrate`). */
  DB_MIGRATE_ON_START: flag('true'),
  /** Days of trades kept; older daily partitions are dropped. */
  TRADES_RETENTION_DAYS: count(30, 1, 36_500, 'days'),
  /** Daily partitions created ahead of today. */
  TRADES_PARTITIONS_AHEAD: count(3, 1, 60, 'days'),
  /** How often partitions are created ahead and old ones dropped. */
  PARTITION_MAINTENANCE_INTERVAL_MS: ms(3_600_000, 1000),

  // Ingest
  INGEST_ENABLED: flag('true'),
  /** Durable JetStream consumer name (shared by every replica: they split the stream). */
  INGEST_DURABLE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected 1-64 letters, digits, "-" or "_"')
    .default('db-proxy'),
  /** Largest batch pulled and written in one transaction. */
  INGEST_BATCH_MAX: count(5000, 1, 100_000, 'messages'),
  /** Longest a batch waits to fill up before it is written anyway. */
  INGEST_BATCH_WAIT_MS: ms(50, 1),
  /**
   * Unacknowledged messages are redelivered after this long (how soon a crashed replica's batch
   * comes back); a batch still being written keeps its messages with progress pings.
   */
  INGEST_ACK_WAIT_MS: ms(30_000, 1000),
  /** How often the consumer lag (stream messages not yet acknowledged) is read. */
  INGEST_LAG_INTERVAL_MS: ms(2000, 100),

  // Queries (their statement timeout is POSTGRES_STATEMENT_TIMEOUT_MS)
  /** Largest page of trades. */
  QUERY_MAX_LIMIT: count(5000, 1, 100_000, 'rows'),
});
export type DbProxyConfig = z.infer<typeof DbProxyConfigSchema>;
