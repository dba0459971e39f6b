import { FEED_STATES, type HealthStatus } from '@cryptoscalp/messaging';

import { z } from 'zod';

import type { Anomaly } from '../anomaly/anomaly.types';

const nonNegative = z.number().nonnegative();

/**
 * One entry of a gateway's `GET /v1/feeds` as the monitor reads it. Unknown fields are ignored;
 * everything but venue and symbol is optional.
 */
export const GatewayFeedSchema = z.object({
  venue: z.string().min(1),
  symbol: z.string().min(1),
  state: z.string().optional(),
  /** Milliseconds since the last message of any kind on this feed. */
  lastMessageAgeMs: nonNegative.nullable().optional(),
  /** Messages per second: one figure, or per kind (`{trade, l1, l2}`). */
  rates: z.union([nonNegative, z.record(z.string(), nonNegative)]).optional(),
  messagesPerSecond: nonNegative.optional(),
  seq: z.number().nullable().optional(),
  /** Recent exchange-event → gateway-receive latency. */
  latencyMs: nonNegative.nullable().optional(),
  /** The gateway's name for `messagesPerSecond`. */
  ratePerSecond: nonNegative.optional(),
  counters: z.record(z.string(), z.number()).optional(),
});
export type GatewayFeed = z.infer<typeof GatewayFeedSchema>;

/**
 * The market-data-gateway's own `GET /v1/feeds` body: per venue, its symbols
 * (`{venues:[{venue, symbols:[{symbol, state, lastMessageAgeMs, ratePerSecond, seq, counters}]}]}`).
 */
const GatewayVenuesBodySchema = z.object({
  venues: z.array(z.object({ venue: z.string().min(1), symbols: z.array(z.record(z.string(), z.unknown())) })),
});

export const GatewayFeedsBodySchema = z.union([GatewayVenuesBodySchema, z.object({ feeds: z.array(z.unknown()) }), z.array(z.unknown())]);

/** The feed entries of any accepted body, each with its venue. */
export function feedEntries(body: z.infer<typeof GatewayFeedsBodySchema>): unknown[] {
  if (Array.isArray(body)) return body;
  if ('venues' in body) return body.venues.flatMap((v) => v.symbols.map((s) => ({ venue: v.venue, ...s })));
  return body.feeds;
}

export type FeedStateName = (typeof FEED_STATES)[number] | 'unknown';

export interface FeedView {
  key: string;
  venue: string;
  symbol: string;
  state: FeedStateName | string;
  health: HealthStatus;
  lastMessageAt: number | null;
  ageMs: number | null;
  /** Messages per second, all kinds. */
  rate: number | null;
  rates: Record<string, number>;
  seq: number | null;
  latencyMs: number | null;
  counters: Record<string, number>;
  /** Gateway instances serving it (`<service>/<instance>`). */
  instances: string[];
  lastStatus?: { state: string; reason: string; ts: number };
  anomalies: Anomaly[];
  updatedAt: number;
}

export interface VenueView {
  venue: string;
  health: HealthStatus;
  symbols: number;
  pass: number;
  warn: number;
  fail: number;
  rate: number;
  /** Gateway instances serving its feeds (`<service>/<instance>`). */
  instances: string[];
}
