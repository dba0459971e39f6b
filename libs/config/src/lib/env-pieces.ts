import { hostname } from 'node:os';
import { z } from 'zod';

import { redactUrl } from './redact';

/**
 * Shared pieces of every service's configuration. A service composes the pieces it needs:
 * `z.object({ ...baseEnv, ...natsEnv, ...redisEnv })`.
 */
const port = (fallback: number) =>
  z.coerce
    .number({ error: 'expected a TCP port number' })
    .int('expected an integer TCP port')
    .min(1, 'expected a TCP port between 1 and 65535')
    .max(65535, 'expected a TCP port between 1 and 65535')
    .default(fallback);

const positiveMs = (fallback: number) =>
  z.coerce
    .number({ error: 'expected a duration in milliseconds' })
    .int()
    .positive('expected a positive number of milliseconds')
    .default(fallback);

const urlList = (protocols: string[], fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const urls = value
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean);
      for (const u of urls) {
        let parsed: URL;
        try {
          parsed = new URL(u);
        } catch {
          ctx.addIssue({ code: 'custom', message: `expected a URL like ${fallback}, got "${redactUrl(u)}"` });
          return z.NEVER;
        }
        if (!protocols.includes(parsed.protocol)) {
          ctx.addIssue({ code: 'custom', message: `expected a ${protocols.join(' or ')} URL, got "${redactUrl(u)}"` });
          return z.NEVER;
        }
      }
      if (urls.length === 0) {
        ctx.addIssue({ code: 'custom', message: 'expected at least one URL' });
        return z.NEVER;
      }
      return urls;
    });

const optionalSecret = z.string().min(1).optional();

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const baseEnv = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** Unique per replica; defaults to `<hostname>-<pid>`. Used in subjects, logs and metrics. */
  INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected 1-64 characters of letters, digits, "-" or "_"')
    .default(
      `${hostname()
        .replace(/[^A-Za-z0-9_-]/g, '-')
        .slice(0, 40)}-${process.pid}`,
    ),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** Release reported in health bodies and heartbeats (the image sets it). */
  APP_VERSION: z.string().min(1).default('0.1.0'),
  /** Pretty, human-readable logs instead of JSON lines (local development). */
  LOG_PRETTY: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  /** The URL other services use to reach this instance's health endpoints (advertised in heartbeats). */
  PUBLIC_URL: z.string().url('expected a URL such as http://gateway-1:3001').optional(),
  /** After SIGTERM readiness reports 503 for this long before connections close (load balancers notice). */
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0, 'expected 0 or more milliseconds').default(3000),
  HEALTH_CHECK_TIMEOUT_MS: positiveMs(1000),
  HEARTBEAT_INTERVAL_MS: positiveMs(5000),
  /** Origins allowed to call the HTTP API from a browser (comma-separated); none when empty. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
};

export const natsEnv = {
  NATS_URL: urlList(['nats:', 'tls:', 'ws:', 'wss:'], 'nats://127.0.0.1:4222'),
  NATS_USER: optionalSecret,
  NATS_PASSWORD: optionalSecret,
  NATS_TOKEN: optionalSecret,
  /**
   * A connection the NATS client closed for good (repeated authorization errors…) and that could
   * not be rebuilt for this long makes liveness fail, so the orchestrator restarts the process.
   */
  NATS_UNRECOVERABLE_AFTER_MS: positiveMs(300_000),
  /** Namespaces every subject and stream (`t1.` → `t1.md.trade...`, stream `t1_MD_TRADES`); empty in production. */
  NATS_SUBJECT_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9_-]+\.)?$/, 'expected empty or one token followed by a dot, e.g. "staging."')
    .default(''),
};

export const redisEnv = {
  REDIS_URL: z
    .string()
    .default('redis://127.0.0.1:6379')
    .refine((v) => /^rediss?:\/\//.test(v), 'expected a redis:// or rediss:// URL'),
  REDIS_PASSWORD: optionalSecret,
  /** Every key this deployment writes starts with this prefix. */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_:.-]*$/, 'expected letters, digits, "_", ":", "." or "-"')
    .default('cs:'),
};

export const postgresEnv = {
  POSTGRES_URL: z
    .string()
    .default('postgres://postgres@127.0.0.1:5432/postgres')
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'expected a postgres:// URL'),
  POSTGRES_PASSWORD: optionalSecret,
  POSTGRES_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier')
    .default('public'),
  POSTGRES_POOL_MAX: z.coerce.number().int().min(1, 'expected at least 1 connection').max(500).default(10),
  POSTGRES_CONNECT_TIMEOUT_MS: positiveMs(5000),
};

export const httpPort = port;
