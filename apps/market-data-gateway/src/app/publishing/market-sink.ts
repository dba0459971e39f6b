import type { FeedStatus, L1, L2, Trade } from '@cryptoscalp/messaging';

/**
 * Where normalized v1 messages go: NATS in the service (`NatsMarketSink`), counters in the
 * replay command. Calls never block and never throw.
 */
export interface MarketSink {
  trade(msg: Trade): void;
  l1(msg: L1): void;
  l2(msg: L2): void;
  status(msg: FeedStatus): void;
}

/** Discards everything (feeds that only serve `GET /v1/book`, tests). */
export const NULL_SINK: MarketSink = {
  trade: () => undefined,
  l1: () => undefined,
  l2: () => undefined,
  status: () => undefined,
};
