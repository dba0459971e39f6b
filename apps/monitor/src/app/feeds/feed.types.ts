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
  counters: z.record(z.string(), z.number()).optional(),
});
export type GatewayFeed = z.infer<typeof GatewayFeedSchema>;

export const GatewayFeedsBodySchema = z.union([z.object({ feeds: z.array(z.unknown()) }), z.array(z.unknown())]);

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
}
