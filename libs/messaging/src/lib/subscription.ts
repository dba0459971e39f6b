import type { Msg, NatsConnection, NatsError, Subscription } from 'nats';
import type { Counter } from 'prom-client';
import type { z } from 'zod';

import { encodeJson, PayloadError } from './codec';
import { type Decoder, rawBytes, zodDecoder } from './decoders';
import { type MessagingLogger, RateLimitedLog, sample } from './messaging-logger';

/** Called once per decoded message. Return a promise only when the work is asynchronous. */
export type MessageHandler<T> = (value: T, msg: Msg) => void | Promise<unknown>;
/** Called with every message decoded since the last call (one call per event-loop turn at most). */
export type BatchHandler<T> = (batch: T[]) => void | Promise<unknown>;

export interface SubscribeOptions<T> {
  /** Queue group: each message goes to one member. Use it for query subjects, never for per-instance ones. */
  queue?: string;
  /** A contract from messages.ts; Trade/L1/L2 use the hand-written validators (same rules, faster). */
  schema?: z.ZodType<T>;
  /** Any other decoding; without `schema` or `decoder` the handler gets the raw bytes. */
  decoder?: Decoder<T>;
  /** Asynchronous handler calls in flight at once (1 = in order, the default). */
  concurrency?: number;
  /** Decoded messages waiting for a free slot; beyond it they are dropped and counted (`overflow`). */
  maxPending?: number;
  /** Reply sent to a request whose payload does not decode (default `{"error":"invalid request: …"}`). */
  invalidReply?: (problem: string) => Uint8Array;
}

export interface BatchSubscribeOptions<T> extends Omit<SubscribeOptions<T>, 'concurrency'> {
  /** Largest batch handed to the handler (default 1000). */
  maxBatch?: number;
}

export interface SubscriptionStats {
  received: number;
  delivered: number;
  invalid: number;
  handlerErrors: number;
  overflow: number;
}

/** What a subscription needs from its connector (metrics, logs, and the drop counter). */
export interface SubscriptionContext {
  logger: MessagingLogger;
  dropped: Counter<'subject_group' | 'reason'>;
  group: (subject: string) => string;
  onClosed: (sub: DataSubscriptionBase<unknown>) => void;
}

/**
 * The state of one `subscribe()` that outlives any single NATS connection: the connector binds it
 * to every fresh connection it builds. The per-message path is a plain callback (no async
 * iterator, no promise unless the handler returns one, no allocation besides the decoded value).
 */
export abstract class DataSubscriptionBase<T> {
  readonly stats: SubscriptionStats = { received: 0, delivered: 0, invalid: 0, handlerErrors: 0, overflow: 0 };
  readonly group: string;
  protected readonly decoder: Decoder<T>;
  protected readonly maxPending: number;
  protected readonly log: RateLimitedLog;
  private sub: Subscription | undefined;
  private closing = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly subject: string,
    protected readonly options: SubscribeOptions<T>,
    protected readonly ctx: SubscriptionContext,
  ) {
    this.group = ctx.group(subject);
    this.decoder = options.decoder ?? (options.schema ? zodDecoder(options.schema) : (rawBytes as unknown as Decoder<T>));
    this.maxPending = options.maxPending ?? 10_000;
    this.log = new RateLimitedLog(ctx.logger);
  }

  get queue(): string | undefined {
    return this.options.queue;
  }

  get isClosed(): boolean {
    return this.closing;
  }

  /** Subscribes on a (new) connection; called by the connector. */
  bind(nc: NatsConnection): void {
    if (this.closing) return;
    this.sub = nc.subscribe(this.subject, { queue: this.options.queue, callback: this.onMessage });
  }

  /** Stop receiving, finish the messages already received and the work in flight. */
  async drain(): Promise<void> {
    if (this.closing) return this.idle();
    this.closing = true;
    const sub = this.sub;
    this.sub = undefined;
    if (sub && !sub.isClosed()) await sub.drain().catch(() => sub.unsubscribe());
    this.flushOnDrain();
    await this.idle();
    this.ctx.onClosed(this as DataSubscriptionBase<unknown>);
  }

  /** Stop at once (messages in flight still finish). */
  unsubscribe(): void {
    this.closing = true;
    this.sub?.unsubscribe();
    this.sub = undefined;
    this.ctx.onClosed(this as DataSubscriptionBase<unknown>);
  }

  private readonly onMessage = (err: NatsError | null, msg: Msg): void => {
    if (err) {
      this.ctx.dropped.inc({ subject_group: this.group, reason: 'subscription_error' });
      this.log.warn(() => `subscription ${this.subject}: ${err.message}`);
      return;
    }
    this.stats.received++;
    let value: T;
    try {
      // The subscription's subject, not msg.subject: nats.js decodes that lazily, per message.
      value = this.decoder.decode(msg.data, this.subject);
    } catch (e) {
      this.invalid(msg, e);
      return;
    }
    this.deliver(value, msg);
  };

  private invalid(msg: Msg, e: unknown): void {
    this.stats.invalid++;
    this.ctx.dropped.inc({ subject_group: this.group, reason: 'invalid' });
    const problem = e instanceof PayloadError ? e.problem : String((e as Error)?.message ?? e);
    this.log.warn(() => `dropped invalid message on ${msg.subject}: ${sample(problem)}; payload: ${sample(msg.data)}`);
    if (msg.reply) {
      const reply = this.options.invalidReply?.(problem) ?? encodeJson({ error: `invalid request: ${problem.slice(0, 200)}` });
      msg.respond(reply);
    }
  }

  protected handlerError(e: unknown, subject: string): void {
    this.stats.handlerErrors++;
    this.ctx.dropped.inc({ subject_group: this.group, reason: 'handler_error' });
    this.log.warn(() => `handler for ${subject} failed: ${sample(String((e as Error)?.stack ?? e))}`);
  }

  protected overflow(): void {
    this.stats.overflow++;
    this.ctx.dropped.inc({ subject_group: this.group, reason: 'overflow' });
    this.log.warn(() => `handler for ${this.subject} cannot keep up: ${this.maxPending} messages waiting, dropping`);
  }

  protected abstract deliver(value: T, msg: Msg): void;
  protected abstract isIdle(): boolean;
  protected flushOnDrain(): void {
    /* batch subscriptions hand over what they hold */
  }

  protected checkIdle(): void {
    if (this.idleWaiters.length && this.isIdle()) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

const isPromise = (v: unknown): v is Promise<unknown> => typeof (v as Promise<unknown> | undefined)?.then === 'function';

/** One decoded message per handler call; asynchronous handlers limited to `concurrency` in flight. */
export class DataSubscription<T> extends DataSubscriptionBase<T> {
  private inFlight = 0;
  private readonly concurrency: number;
  // Waiting messages: a FIFO of (value, msg) pairs kept in two arrays with a moving head.
  private waitingValues: T[] = [];
  private waitingMsgs: Msg[] = [];
  private head = 0;

  constructor(
    subject: string,
    private readonly handler: MessageHandler<T>,
    options: SubscribeOptions<T>,
    ctx: SubscriptionContext,
  ) {
    super(subject, options, ctx);
    this.concurrency = Math.max(1, options.concurrency ?? 1);
  }

  protected deliver(value: T, msg: Msg): void {
    if (this.inFlight >= this.concurrency) {
      if (this.waitingValues.length - this.head >= this.maxPending) return this.overflow();
      this.waitingValues.push(value);
      this.waitingMsgs.push(msg);
      return;
    }
    this.run(value, msg);
  }

  private run(value: T, msg: Msg): void {
    let result: void | Promise<unknown>;
    try {
      result = this.handler(value, msg);
    } catch (e) {
      this.handlerError(e, msg.subject);
      return;
    }
    this.stats.delivered++;
    if (isPromise(result)) {
      this.inFlight++;
      result.then(this.settled, (e: unknown) => {
        this.handlerError(e, msg.subject);
        this.settled();
      });
    }
  }

  private readonly settled = (): void => {
    this.inFlight--;
    while (this.inFlight < this.concurrency && this.head < this.waitingValues.length) {
      const i = this.head++;
      const value = this.waitingValues[i] as T;
      const msg = this.waitingMsgs[i] as Msg;
      this.run(value, msg);
    }
    if (this.head === this.waitingValues.length) {
      this.waitingValues = [];
      this.waitingMsgs = [];
      this.head = 0;
    }
    this.checkIdle();
  };

  protected isIdle(): boolean {
    return this.inFlight === 0 && this.head === this.waitingValues.length;
  }
}

/**
 * Batches decoded messages: the handler gets everything received since its last call (at most
 * `maxBatch`), once per event-loop turn, and is not called again until its promise settles.
 * The shape for high-rate consumers that conflate (cache-service on `md.>`).
 */
export class BatchSubscription<T> extends DataSubscriptionBase<T> {
  private buffer: T[] = [];
  private scheduled = false;
  private busy = false;
  private readonly maxBatch: number;

  constructor(
    subject: string,
    private readonly handler: BatchHandler<T>,
    options: BatchSubscribeOptions<T>,
    ctx: SubscriptionContext,
  ) {
    super(subject, options, ctx);
    this.maxBatch = Math.max(1, options.maxBatch ?? 1000);
  }

  protected deliver(value: T): void {
    if (this.buffer.length >= this.maxPending) return this.overflow();
    this.buffer.push(value);
    if (!this.scheduled && !this.busy) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.busy || this.buffer.length === 0) return this.checkIdle();
    let batch: T[];
    if (this.buffer.length <= this.maxBatch) {
      batch = this.buffer;
      this.buffer = [];
    } else {
      batch = this.buffer.splice(0, this.maxBatch);
    }
    let result: void | Promise<unknown>;
    try {
      result = this.handler(batch);
    } catch (e) {
      this.handlerError(e, this.subject);
      return this.next();
    }
    this.stats.delivered += batch.length;
    if (isPromise(result)) {
      this.busy = true;
      result.then(
        () => this.done(),
        (e: unknown) => {
          this.handlerError(e, this.subject);
          this.done();
        },
      );
    } else {
      this.next();
    }
  };

  private done(): void {
    this.busy = false;
    this.next();
  }

  private next(): void {
    if (this.buffer.length && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
    this.checkIdle();
  }

  protected override flushOnDrain(): void {
    if (!this.scheduled && !this.busy && this.buffer.length) this.flush();
  }

  protected isIdle(): boolean {
    return !this.busy && !this.scheduled && this.buffer.length === 0;
  }
}
