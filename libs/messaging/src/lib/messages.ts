import { HEALTH_STATUSES, type HealthStatus } from '@cryptoscalp/circuit-breaker';

import { z } from 'zod';

import { SYMBOL_PATTERN, VENUES } from './venues';

/** Tri-state health carried by heartbeats (one name everywhere: `HealthStatus`). */
export type { HealthStatus };

/**
 * Normalized market-data messages, version 1 (see docs/architecture.md).
 * Prices and sizes are decimal strings exactly as the exchange sent them.
 * `ts` is the exchange event time in epoch milliseconds, `recvTs` the gateway receive time in epoch microseconds.
 */
/** A non-negative decimal string as the exchange sent it (`59470.01000000`, `1e-8`). */
export const DECIMAL_PATTERN = /^\d+(\.\d+)?([eE][-+]?\d+)?$/;
const decimal = z.string().regex(DECIMAL_PATTERN, 'expected a non-negative decimal string');
const venue = z.enum(VENUES);
const symbol = z.string().regex(SYMBOL_PATTERN, 'expected a BASE-QUOTE symbol such as BTC-USDT');
const epochMs = z.number().int().nonnegative();
const epochUs = z.number().int().nonnegative();
const level = z.tuple([decimal, decimal]);

export const TradeSchema = z.object({
  v: z.literal(1),
  venue,
  symbol,
  id: z.string().min(1),
  price: decimal,
  size: decimal,
  side: z.enum(['buy', 'sell']),
  ts: epochMs,
  recvTs: epochUs,
});
export type Trade = z.infer<typeof TradeSchema>;

export const L1Schema = z.object({
  v: z.literal(1),
  venue,
  symbol,
  bidPx: decimal,
  bidSz: decimal,
  askPx: decimal,
  askSz: decimal,
  seq: z.number().int().optional(),
  ts: epochMs,
  recvTs: epochUs,
});
export type L1 = z.infer<typeof L1Schema>;

export const L2Schema = z.object({
  v: z.literal(1),
  venue,
  symbol,
  snapshot: z.boolean(),
  bids: z.array(level),
  asks: z.array(level),
  seq: z.number().int(),
  prevSeq: z.number().int().optional(),
  ts: epochMs,
  recvTs: epochUs,
});
export type L2 = z.infer<typeof L2Schema>;

export const FEED_STATES = ['connected', 'disconnected', 'gap', 'resync', 'stale', 'checksum_mismatch'] as const;
export type FeedState = (typeof FEED_STATES)[number];

export const StatusSchema = z.object({
  v: z.literal(1),
  venue,
  symbol,
  state: z.enum(FEED_STATES),
  reason: z.string(),
  ts: epochMs,
});
export type FeedStatus = z.infer<typeof StatusSchema>;


export const HeartbeatSchema = z.object({
  v: z.literal(1),
  service: z.string().min(1),
  instance: z.string().min(1),
  version: z.string(),
  healthUrl: z.string().url(),
  status: z.enum(HEALTH_STATUSES),
  startedAt: epochMs,
  time: epochMs,
});
export type Heartbeat = z.infer<typeof HeartbeatSchema>;

export const ServiceEventSchema = z.object({
  v: z.literal(1),
  service: z.string().min(1),
  instance: z.string().min(1),
  kind: z.string().regex(/^[a-z0-9_-]+$/),
  severity: z.enum(['info', 'warn', 'error']),
  message: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
  time: epochMs,
});
export type ServiceEvent = z.infer<typeof ServiceEventSchema>;
