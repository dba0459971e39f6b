import {
  dedupId,
  encodeJson,
  type FeedStatus,
  JetStreamPublisher,
  type L1,
  type L2,
  type NatsConnector,
  type Subjects,
  type Trade,
} from '@cryptoscalp/messaging';

import type { MarketSink } from './market-sink';

interface Pending {
  subject: string;
  data: Uint8Array;
  /** Set for JetStream publishes (trades). */
  msgId?: string;
  /** For L2 drops: which symbol needs a fresh snapshot once NATS is back. */
  key?: string;
}

/** A FIFO with a hard bound: when full, the oldest entry is dropped (and reported). */
class BoundedQueue {
  private items: Pending[] = [];
  private head = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.items.length - this.head;
  }

  push(p: Pending): Pending | undefined {
    let dropped: Pending | undefined;
    if (this.size >= this.max) dropped = this.shift();
    this.items.push(p);
    return dropped;
  }

  unshift(p: Pending): void {
    if (this.head > 0) this.items[--this.head] = p;
    else this.items.unshift(p);
  }

  shift(): Pending | undefined {
    if (this.head >= this.items.length) return undefined;
    const p = this.items[this.head] as Pending;
    this.items[this.head++] = undefined as unknown as Pending;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return p;
  }
}

export interface NatsMarketSinkOptions {
  /** Core messages (L1, L2, status) held while NATS is unreachable (oldest dropped beyond). */
  maxBuffered: number;
  /** Trades held for JetStream while it is unreachable or acks are slow (oldest dropped beyond). */
  maxTradesBuffered: number;
  /** Outstanding JetStream acks. */
  ackWindow: number;
  /** Called per dropped message (metrics). */
  onDrop(kind: 'trade' | 'l1' | 'l2' | 'status'): void;
  /** Called when NATS is back and L2 messages of these symbols (`venue|symbol`) were lost: republish their books. */
  onL2Lost(keys: Set<string>): void;
  onPublished?(kind: 'trade' | 'l1' | 'l2' | 'status', recvTs: number | undefined): void;
}

/**
 * Publishes v1 messages on NATS. Trades go through JetStream (stream `MD_TRADES` captures
 * `md.trade.>`; one JetStream publish also reaches core subscribers) with `Nats-Msg-Id` =
 * `dedupId(venue, symbol, 'trade', id)`, through the messaging library's bounded-window publisher;
 * failed publishes are retried with the same id. L1, L2 and status go on core NATS. While NATS
 * is unreachable both are held in bounded queues (drops counted); L2 lost that way makes the
 * symbol's book be republished as a snapshot once NATS is back.
 */
export class NatsMarketSink implements MarketSink {
  private readonly core: BoundedQueue;
  private readonly trades: BoundedQueue;
  private readonly js: JetStreamPublisher;
  private readonly inflight = new Map<string, Pending>();
  private pumping = false;
  private lostL2 = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  readonly stats = { coreBuffered: 0, coreDropped: 0, tradesDropped: 0, tradeRetries: 0 };

  constructor(
    private readonly nats: NatsConnector,
    private readonly subjects: Subjects,
    private readonly options: NatsMarketSinkOptions,
  ) {
    this.core = new BoundedQueue(options.maxBuffered);
    this.trades = new BoundedQueue(options.maxTradesBuffered);
    this.js = new JetStreamPublisher(nats, {
      window: options.ackWindow,
      onError: (_err, subject, msgId) => this.retryTrade(subject, msgId),
    });
  }

  get bufferedCore(): number {
    return this.core.size;
  }

  get bufferedTrades(): number {
    return this.trades.size + this.js.inFlight;
  }

  trade(msg: Trade): void {
    const p: Pending = {
      subject: this.subjects.trade(msg.venue, msg.symbol),
      data: encodeJson(msg),
      msgId: dedupId(msg.venue, msg.symbol, 'trade', msg.id),
    };
    const dropped = this.trades.push(p);
    if (dropped) {
      this.stats.tradesDropped++;
      this.options.onDrop('trade');
    }
    if (!this.pumping) void this.pump();
    this.options.onPublished?.('trade', msg.recvTs);
  }

  l1(msg: L1): void {
    this.publishCore('l1', this.subjects.l1(msg.venue, msg.symbol), msg, undefined, msg.recvTs);
  }

  l2(msg: L2): void {
    this.publishCore('l2', this.subjects.l2(msg.venue, msg.symbol), msg, `${msg.venue}|${msg.symbol}`, msg.recvTs);
  }

  status(msg: FeedStatus): void {
    this.publishCore('status', this.subjects.status(msg.venue, msg.symbol), msg, undefined, undefined);
  }

  /** Waits (bounded) for queued trades to be acknowledged; used on shutdown. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.trades.size > 0 || this.js.inFlight > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.flushCore();
  }

  stop(): void {
    this.stopped = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
  }

  private publishCore(
    kind: 'l1' | 'l2' | 'status',
    subject: string,
    msg: unknown,
    key: string | undefined,
    recvTs: number | undefined,
  ): void {
    const data = encodeJson(msg);
    if (this.core.size === 0 && this.nats.connectionOrUndefined) {
      this.nats.publish(subject, data);
      this.options.onPublished?.(kind, recvTs);
      return;
    }
    this.stats.coreBuffered++;
    const dropped = this.core.push({ subject, data, key });
    if (dropped) {
      this.stats.coreDropped++;
      this.options.onDrop(kindOf(dropped, this.subjects));
      if (dropped.key) this.lostL2.add(dropped.key);
    }
    this.flushTimer ??= setInterval(() => this.flushCore(), 100);
  }

  private flushCore(): void {
    if (!this.nats.connectionOrUndefined) return;
    for (let p = this.core.shift(); p; p = this.core.shift()) this.nats.publish(p.subject, p.data);
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = undefined;
    if (this.lostL2.size) {
      const lost = this.lostL2;
      this.lostL2 = new Set();
      this.options.onL2Lost(lost);
    }
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      for (let p = this.trades.shift(); p && !this.stopped; p = this.trades.shift()) {
        this.remember(p);
        // Waits while the ack window is full or NATS is down: trades stay in the bounded queue meanwhile.
        await this.js.publish(p.subject, p.data, p.msgId as string);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Keeps the last publishes so that a failed ack can be retried with the same dedup id. */
  private remember(p: Pending): void {
    this.inflight.set(p.msgId as string, p);
    if (this.inflight.size > this.options.ackWindow * 4) this.inflight.delete(this.inflight.keys().next().value as string);
  }

  private retryTrade(subject: string, msgId: string): void {
    const p = this.inflight.get(msgId) ?? undefined;
    if (!p || this.stopped) return;
    this.stats.tradeRetries++;
    this.trades.unshift({ subject, data: p.data, msgId });
    // Give a failing server a moment before the pump goes again.
    setTimeout(() => {
      if (!this.pumping) void this.pump();
    }, 250).unref();
  }
}

function kindOf(p: Pending, subjects: Subjects): 'l1' | 'l2' | 'status' {
  const rest = p.subject.slice(subjects.prefix.length);
  return rest.startsWith('md.l1.') ? 'l1' : rest.startsWith('md.l2.') ? 'l2' : 'status';
}
