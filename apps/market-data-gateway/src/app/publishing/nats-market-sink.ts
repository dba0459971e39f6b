import { dedupId, encodeJson, type FeedStatus, type L1, type L2, type NatsConnector, type Subjects, type Trade } from '@cryptoscalp/messaging';

import { JsAckTracker } from './js-ack-tracker';
import type { MarketSink } from './market-sink';

export type MessageKind = 'trade' | 'l1' | 'l2' | 'status';

interface Pending {
  kind: MessageKind;
  venue: string;
  subject: string;
  data: Uint8Array;
  /** Set for JetStream publishes (trades). */
  msgId?: string;
  /** For L2 drops: which symbol needs a fresh snapshot once NATS is back (`venue|symbol`). */
  key?: string;
  /** Receive time of the frame (µs), for the receive → publish histogram. */
  recvTs?: number;
}

/** A FIFO with a hard bound: when full, the oldest entry is dropped (and reported). */
class BoundedQueue {
  private items: (Pending | undefined)[] = [];
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
    const p = this.items[this.head];
    this.items[this.head++] = undefined;
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
  /** A JetStream ack not received within this is a failure: the trade is published again with the same id (default 5000). */
  ackTimeoutMs?: number;
  /** Pause after a failed JetStream publish before the next attempt (default 250 ms). */
  retryDelayMs?: number;
  /** Called per dropped message (metrics). */
  onDrop(venue: string, kind: MessageKind): void;
  /** Called when NATS is back and L2 messages of these symbols (`venue|symbol`) were lost: republish their books. */
  onL2Lost(keys: Set<string>): void;
  /** Called when a message is handed to the NATS client (the receive → publish histogram). */
  onPublished?(venue: string, kind: MessageKind, recvTs: number | undefined): void;
}

/**
 * Publishes v1 messages on NATS. Trades go into JetStream (stream `MD_TRADES` captures
 * `md.trade.>`; one JetStream publish also reaches core subscribers) with `Nats-Msg-Id` =
 * `dedupId(venue, symbol, 'trade', id)`, asynchronously through `JsAckTracker`: up to
 * `ackWindow` publishes outstanding, published synchronously in the caller's turn (no `await`
 * per message, so the client writes a whole socket read's worth in one syscall); a failed or
 * timed-out ack is published again with the same id (JetStream de-duplicates; order within a
 * symbol may then change). L1, L2 and status go on core NATS. While NATS is unreachable both are
 * held in bounded queues (drops counted); L2 lost that way makes the symbol's book be republished
 * as a snapshot once NATS is back.
 */
export class NatsMarketSink implements MarketSink {
  private readonly core: BoundedQueue;
  private readonly trades: BoundedQueue;
  private readonly js: JsAckTracker<Pending>;
  private lostL2 = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private holdUntil = 0;
  private stopped = false;
  readonly stats = { coreBuffered: 0, coreDropped: 0, tradesDropped: 0, tradeRetries: 0, tradesAcked: 0, tradeDuplicates: 0 };

  constructor(
    private readonly nats: NatsConnector,
    private readonly subjects: Subjects,
    private readonly options: NatsMarketSinkOptions,
  ) {
    this.core = new BoundedQueue(options.maxBuffered);
    this.trades = new BoundedQueue(options.maxTradesBuffered);
    this.js = new JsAckTracker<Pending>({
      ackTimeoutMs: options.ackTimeoutMs ?? 5000,
      onAck: (_p, duplicate) => {
        this.stats.tradesAcked++;
        if (duplicate) this.stats.tradeDuplicates++;
        if (this.trades.size > 0) this.pump();
      },
      onFail: (p) => this.retryTrade(p),
    });
  }

  get bufferedCore(): number {
    return this.core.size;
  }

  /** Trades not acknowledged by JetStream yet (queued + in flight). */
  get bufferedTrades(): number {
    return this.trades.size + this.js.outstanding;
  }

  /** JetStream publish counters (published, acked, duplicates, failed, timeouts). */
  get jetStreamStats(): Readonly<JsAckTracker<Pending>['stats']> {
    return this.js.stats;
  }

  trade(msg: Trade): void {
    const p: Pending = {
      kind: 'trade',
      venue: msg.venue,
      subject: this.subjects.trade(msg.venue, msg.symbol),
      data: encodeJson(msg),
      msgId: dedupId(msg.venue, msg.symbol, 'trade', msg.id),
      recvTs: msg.recvTs,
    };
    if (this.trades.size === 0 && this.canPublishTrade()) {
      this.publishTrade(p);
      return;
    }
    const dropped = this.trades.push(p);
    if (dropped) {
      this.stats.tradesDropped++;
      this.options.onDrop(dropped.venue, 'trade');
    }
    this.pump();
  }

  l1(msg: L1): void {
    this.publishCore('l1', msg.venue, this.subjects.l1(msg.venue, msg.symbol), msg, undefined, msg.recvTs);
  }

  l2(msg: L2): void {
    this.publishCore('l2', msg.venue, this.subjects.l2(msg.venue, msg.symbol), msg, `${msg.venue}|${msg.symbol}`, msg.recvTs);
  }

  status(msg: FeedStatus): void {
    this.publishCore('status', msg.venue, this.subjects.status(msg.venue, msg.symbol), msg, undefined, undefined);
  }

  /** Waits (bounded) for queued trades to be acknowledged; used on shutdown. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.bufferedTrades > 0 && Date.now() < deadline) {
      this.tick();
      await new Promise((r) => setTimeout(r, 20));
    }
    this.flushCore();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.js.close();
  }

  private canPublishTrade(): boolean {
    return !this.stopped && this.js.outstanding < this.options.ackWindow && this.nats.connectionOrUndefined !== undefined && Date.now() >= this.holdUntil;
  }

  private publishTrade(p: Pending): void {
    const nc = this.nats.connectionOrUndefined;
    if (!nc) return void this.trades.unshift(p);
    this.js.publish(nc, p.subject, p.data, p.msgId as string, p);
    this.options.onPublished?.(p.venue, 'trade', p.recvTs);
    this.arm();
  }

  /** Publishes queued trades while the ack window has room and NATS is connected. */
  private pump(): void {
    while (this.trades.size > 0 && this.canPublishTrade()) this.publishTrade(this.trades.shift() as Pending);
    if (this.trades.size > 0) this.arm();
  }

  private retryTrade(p: Pending): void {
    if (this.stopped) return;
    this.stats.tradeRetries++;
    this.trades.unshift(p);
    // Give a failing server a moment before the next attempt (the timer pumps again).
    this.holdUntil = Date.now() + (this.options.retryDelayMs ?? 250);
    this.arm();
  }

  private publishCore(kind: 'l1' | 'l2' | 'status', venue: string, subject: string, msg: unknown, key: string | undefined, recvTs: number | undefined): void {
    const data = encodeJson(msg);
    if (this.core.size === 0 && this.nats.connectionOrUndefined) {
      this.nats.publish(subject, data);
      this.options.onPublished?.(venue, kind, recvTs);
      return;
    }
    this.stats.coreBuffered++;
    const dropped = this.core.push({ kind, venue, subject, data, key });
    if (dropped) {
      this.stats.coreDropped++;
      this.options.onDrop(dropped.venue, dropped.kind);
      if (dropped.key) this.lostL2.add(dropped.key);
    }
    this.arm();
  }

  private flushCore(): void {
    if (!this.nats.connectionOrUndefined) return;
    for (let p = this.core.shift(); p; p = this.core.shift()) this.nats.publish(p.subject, p.data);
    if (this.lostL2.size) {
      const lost = this.lostL2;
      this.lostL2 = new Set();
      this.options.onL2Lost(lost);
    }
  }

  /** One timer while anything is held or in flight: flushes held core messages, sweeps acks, pumps trades. */
  private arm(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => this.tick(), 100);
    this.timer.unref?.();
  }

  private tick(): void {
    if (this.core.size > 0 || this.lostL2.size > 0) this.flushCore();
    this.js.sweep();
    this.pump();
    if (this.core.size === 0 && this.lostL2.size === 0 && this.bufferedTrades === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
