import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  DiscardPolicy,
  headers as natsHeaders,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type KV,
  type KvOptions,
  type NatsError,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from 'nats';
import type { z } from 'zod';

import { type Decoder, rawBytes, zodDecoder } from './decoders';
import { type MessagingLogger, RateLimitedLog, sample, stderrLogger } from './messaging-logger';
import type { NatsConnector } from './nats-connection';
import { STREAMS, type Subjects } from './subjects';

const STREAM_NOT_FOUND = 10059;
const STREAM_NAME_IN_USE = 10058;
const CONSUMER_NOT_FOUND = 10014;

const apiCode = (err: unknown): number | undefined => (err as NatsError | undefined)?.api_error?.err_code;

/** Only the keys the caller cares about are compared; the server fills in the rest. */
function differs(current: object, wanted: object): boolean {
  const cur = current as Record<string, unknown>;
  return Object.entries(wanted).some(([k, v]) => v !== undefined && JSON.stringify(cur[k]) !== JSON.stringify(v));
}

export type StreamSpec = Partial<StreamConfig> & Pick<StreamConfig, 'name' | 'subjects'>;

/**
 * Creates the stream or updates it to `spec`; safe when several instances start at once (the
 * loser of a create race reads and updates). Names come from `Subjects` (`t1_MD_TRADES`).
 */
export async function ensureStream(jsm: JetStreamManager, spec: StreamSpec): Promise<StreamInfo> {
  for (let attempt = 0; ; attempt++) {
    try {
      const info = await jsm.streams.info(spec.name);
      return differs(info.config, spec) ? await jsm.streams.update(spec.name, { ...info.config, ...spec }) : info;
    } catch (err) {
      if (apiCode(err) !== STREAM_NOT_FOUND) throw err;
    }
    try {
      return await jsm.streams.add(spec);
    } catch (err) {
      // Someone else created it meanwhile (with another config): read and update.
      if (apiCode(err) !== STREAM_NAME_IN_USE || attempt >= 2) throw err;
    }
  }
}

/** The trades stream every service agrees on: `md.trade.>`, 2-minute dedup window, file storage. */
export function tradesStreamSpec(subjects: Subjects, overrides: Partial<StreamConfig> = {}): StreamSpec {
  return {
    name: subjects.stream(STREAMS.trades),
    subjects: [subjects.allOf('trade')],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    duplicate_window: 120_000_000_000, // ns
    max_age: 7 * 24 * 3600 * 1_000_000_000,
    ...overrides,
  };
}

export type ConsumerSpec = Partial<ConsumerConfig> & { durable_name: string };

/**
 * Creates a durable pull consumer (explicit acks unless `spec.ack_policy` says otherwise) or
 * updates it to `spec`; concurrent creators tolerated. The server cannot change the ack policy of
 * an existing durable: a different `ack_policy` is left as it is (`consumeBatches` follows the
 * durable's real policy).
 */
export async function ensureConsumer(jsm: JetStreamManager, stream: string, spec: ConsumerSpec): Promise<ConsumerInfo> {
  const wanted: Partial<ConsumerConfig> = { ack_policy: AckPolicy.Explicit, ...spec };
  for (let attempt = 0; ; attempt++) {
    try {
      const info = await jsm.consumers.info(stream, spec.durable_name);
      const update = { ...wanted, ack_policy: info.config.ack_policy };
      return differs(info.config, update) ? await jsm.consumers.update(stream, spec.durable_name, update) : info;
    } catch (err) {
      if (apiCode(err) !== CONSUMER_NOT_FOUND) throw err;
    }
    try {
      return await jsm.consumers.add(stream, wanted);
    } catch (err) {
      if (attempt >= 2) throw err;
    }
  }
}

/** Opens (creating if needed) a KV bucket; `name` comes from `Subjects.kv()` so it is namespaced. */
export async function ensureKv(js: JetStreamClient, name: string, opts: Partial<KvOptions> = {}): Promise<KV> {
  try {
    return await js.views.kv(name, opts);
  } catch (err) {
    // A concurrent creator with another config: bind to what exists.
    if (apiCode(err) !== STREAM_NAME_IN_USE) throw err;
    return js.views.kv(name, { ...opts, bindOnly: true });
  }
}

export interface JetStreamPublisherOptions {
  /** Publishes whose ack is outstanding at most (default 256); `publish` waits when full. */
  window?: number;
  /** Called for every publish the server did not acknowledge (retry it with the same dedup id). */
  onError?: (error: Error, subject: string, msgId: string) => void;
}

export interface PublisherStats {
  published: number;
  acked: number;
  duplicates: number;
  failed: number;
}

/**
 * Asynchronous JetStream publishing with a bounded window of outstanding acks. Each message
 * carries `Nats-Msg-Id` (from `dedupId()`), so a replay or a second gateway replica is stored once.
 * `publish` resolves once the message is on its way (waits while the window is full: back-pressure);
 * failures go to `onError` and make the next `flush()` reject.
 */
export class JetStreamPublisher {
  readonly stats: PublisherStats = { published: 0, acked: 0, duplicates: 0, failed: 0 };
  private outstanding = 0;
  private roomWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private errors: Error[] = [];
  private readonly window: number;
  /** Highest number of outstanding acks seen (for tests and metrics). */
  maxOutstanding = 0;

  constructor(
    private readonly nats: NatsConnector,
    private readonly options: JetStreamPublisherOptions = {},
  ) {
    this.window = Math.max(1, options.window ?? 256);
  }

  get inFlight(): number {
    return this.outstanding;
  }

  async publish(subject: string, data: Uint8Array, msgId: string): Promise<void> {
    while (this.outstanding >= this.window) await new Promise<void>((r) => this.roomWaiters.push(r));
    this.outstanding++;
    if (this.outstanding > this.maxOutstanding) this.maxOutstanding = this.outstanding;
    this.stats.published++;
    let js: JetStreamClient;
    try {
      js = (await this.nats.connection()).jetstream();
    } catch (err) {
      this.settle(err as Error, subject, msgId);
      return;
    }
    js.publish(subject, data, { msgID: msgId }).then(
      (ack) => {
        if (ack.duplicate) this.stats.duplicates++;
        this.settle(undefined, subject, msgId);
      },
      (err: Error) => this.settle(err, subject, msgId),
    );
  }

  /** Waits for every outstanding ack; rejects with the first failure since the last flush. */
  async flush(): Promise<PublisherStats> {
    if (this.outstanding > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    if (this.errors.length) {
      const [first] = this.errors;
      const n = this.errors.length;
      this.errors = [];
      throw new Error(`${n} JetStream publish(es) failed; first: ${first?.message}`);
    }
    return { ...this.stats };
  }

  private settle(err: Error | undefined, subject: string, msgId: string): void {
    this.outstanding--;
    if (err) {
      this.stats.failed++;
      this.errors.push(err);
      this.options.onError?.(err, subject, msgId);
    } else {
      this.stats.acked++;
    }
    this.roomWaiters.shift()?.();
    if (this.outstanding === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}

/** One delivered JetStream message, decoded. */
export interface Delivery<T> {
  value: T;
  msg: JsMsg;
}

/**
 * One batch from `consumeBatches`. Resolve the handler after committing: every delivery not
 * settled here is then acknowledged. Throw and every unsettled delivery is nak'd (redelivered
 * after `nakDelayMs`, until the consumer's `max_deliver`).
 */
export class JsBatch<T> {
  private readonly settled = new Set<JsMsg>();
  /** @internal deliveries nak'd by the handler. */
  readonly nakd = new Set<JsMsg>();

  constructor(readonly items: Delivery<T>[]) {}

  /** Redeliver this one later. */
  nak(item: Delivery<T>, delayMs?: number): void {
    this.settled.add(item.msg);
    this.nakd.add(item.msg);
    item.msg.nak(delayMs);
  }

  /** Never redeliver this one (poison message). */
  term(item: Delivery<T>): void {
    this.settled.add(item.msg);
    item.msg.term();
  }

  /** @internal explicit acks: ack (or nak) every unsettled delivery. */
  finish(ok: boolean, nakDelayMs: number): void {
    for (const { msg } of this.items) {
      if (this.settled.has(msg)) continue;
      if (ok) msg.ack();
      else msg.nak(nakDelayMs);
    }
  }
}

export interface BatchConsumerOptions<T> {
  stream: string;
  durable: string;
  handler: (batch: JsBatch<T>) => Promise<void> | void;
  schema?: z.ZodType<T>;
  decoder?: Decoder<T>;
  /** Largest batch (default 100). */
  batch?: number;
  /** Largest batch in bytes (server `max_bytes`; default unlimited). */
  maxBytes?: number;
  /**
   * 0 (default): take what is in the stream now (`no_wait`), poll again after `idleWaitMs` when
   * there was nothing. > 0: wait up to this long for a batch to fill (`expires`): batches by
   * size and time; a trade waits at most this long before its batch is handed over.
   */
  fillWaitMs?: number;
  /** Wait before polling again when the consumer had nothing (default 100 ms; `no_wait` pulls only). */
  idleWaitMs?: number;
  /**
   * Pull the next batch (and decode it) while the handler works on the current one (default
   * false). At most one batch is prefetched, so a slow handler holds at most two batches; handlers
   * still run one at a time, in order, and a batch's acks follow its handler's commit.
   */
  prefetch?: boolean;
  /** Delay before a nak'd batch is redelivered (default 1000 ms). */
  nakDelayMs?: number;
  /** A pull that has not ended after this long is abandoned and retried (default 30 s, at least fillWaitMs + 5 s). */
  pullTimeoutMs?: number;
  logger?: MessagingLogger;
}

export interface BatchConsumerStats {
  batches: number;
  acked: number;
  nakBatches: number;
  invalid: number;
  redelivered: number;
  /** Most batches held in memory at once (handler's + prefetched). */
  maxBatchesHeld: number;
}

interface Pulled<T> {
  items: Delivery<T>[];
  /** Undecodable messages (terminated, or acknowledged with the batch under ack-all). */
  invalid: JsMsg[];
}

/**
 * A durable pull consumer loop: pulls at most `batch` messages, decodes them (undecodable ones
 * are terminated and counted), hands them to the handler, and acks after it resolves. Without
 * `prefetch` it pulls nothing while the handler runs (a slow caller holds one batch); with it,
 * one more batch waits decoded. Acknowledgements are explicit, one per message, after the handler
 * resolved; a durable with another `ack_policy` is refused (logged) rather than guessed at.
 * Survives outages and connection rebuilds (it asks the connector every round).
 */
export class BatchConsumer<T> {
  readonly stats: BatchConsumerStats = { batches: 0, acked: 0, nakBatches: 0, invalid: 0, redelivered: 0, maxBatchesHeld: 0 };
  readonly done: Promise<void>;
  private stopping = false;
  private wake: (() => void) | undefined;
  private readonly decoder: Decoder<T>;
  private readonly log: RateLimitedLog;
  private policyChecked = false;
  private held = 0;

  constructor(
    private readonly nats: NatsConnector,
    private readonly options: BatchConsumerOptions<T>,
  ) {
    this.decoder = options.decoder ?? (options.schema ? zodDecoder(options.schema) : (rawBytes as unknown as Decoder<T>));
    this.log = new RateLimitedLog(options.logger ?? stderrLogger);
    this.done = this.run();
  }

  /** Stops after the batch in progress (which is acked or nak'd as usual); a prefetched batch is nak'd at once. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.done;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    let next: Promise<Pulled<T> | undefined> | undefined;
    while (!this.stopping) {
      const pulled = await (next ?? this.pull());
      next = undefined;
      if (pulled === undefined) {
        if (!this.stopping) await this.sleep(1000);
        continue;
      }
      if (pulled.items.length === 0 && pulled.invalid.length === 0) {
        if (!this.options.fillWaitMs && !this.stopping) await this.sleep(this.options.idleWaitMs ?? 100);
        continue;
      }
      if (this.stopping) {
        this.giveBack(pulled);
        break;
      }
      if (this.options.prefetch) next = this.pull();
      await this.process(pulled);
    }
    if (next) {
      const pulled = await next;
      if (pulled) this.giveBack(pulled);
    }
  }

  /** One pull, decoded; undefined on failure (logged). Bounded by `pullTimeoutMs` even if the reply is lost. */
  private async pull(): Promise<Pulled<T> | undefined> {
    const { stream, durable } = this.options;
    const fillWaitMs = this.options.fillWaitMs ?? 0;
    const timeoutMs = Math.max(this.options.pullTimeoutMs ?? 30_000, fillWaitMs + 5000);
    const msgs: JsMsg[] = [];
    let timer: NodeJS.Timeout | undefined;
    try {
      const nc = await this.nats.connection();
      if (!this.policyChecked) {
        const info = await (await nc.jetstreamManager()).consumers.info(stream, durable);
        if (info.config.ack_policy !== AckPolicy.Explicit) {
          throw new Error(`durable ${durable} has ack_policy ${info.config.ack_policy}: consumeBatches needs explicit acks`);
        }
        this.policyChecked = true;
      }
      const iter = nc.jetstream().fetch(stream, durable, {
        batch: this.options.batch ?? 100,
        ...(fillWaitMs > 0 ? { expires: fillWaitMs } : { no_wait: true }),
        ...(this.options.maxBytes ? { max_bytes: this.options.maxBytes } : {}),
      });
      let timedOut = false;
      timer = setTimeout(() => {
        timedOut = true;
        iter.stop();
      }, timeoutMs);
      for await (const m of iter) msgs.push(m);
      if (timedOut) throw new Error(`pull not answered within ${timeoutMs} ms`);
    } catch (err) {
      // Whatever arrived stays pending on the server and comes back after ack_wait.
      if (!this.stopping) this.log.warn(() => `consumer ${stream}/${durable}: ${(err as Error).message}`);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
    const items: Delivery<T>[] = [];
    const invalid: JsMsg[] = [];
    for (const msg of msgs) {
      if (msg.info.redelivered) this.stats.redelivered++;
      try {
        items.push({ value: this.decoder.decode(msg.data, msg.subject), msg });
      } catch (err) {
        this.stats.invalid++;
        this.log.warn(() => `terminated invalid message on ${msg.subject}: ${sample((err as Error).message)}`);
        invalid.push(msg);
      }
    }
    if (msgs.length > 0 && ++this.held > this.stats.maxBatchesHeld) this.stats.maxBatchesHeld = this.held;
    return { items, invalid };
  }

  /** A batch not handed to the handler (stopping): back to the server at once. */
  private giveBack(pulled: Pulled<T>): void {
    for (const { msg } of pulled.items) msg.nak();
    for (const msg of pulled.invalid) msg.term();
    this.held--;
  }

  private async process(pulled: Pulled<T>): Promise<void> {
    const { items, invalid } = pulled;
    let ok = true;
    const batch = new JsBatch(items);
    if (items.length > 0) {
      this.stats.batches++;
      try {
        await this.options.handler(batch);
      } catch (err) {
        ok = false;
        this.stats.nakBatches++;
        this.log.warn(() => `batch of ${items.length} on ${this.options.stream} failed, redelivering: ${sample((err as Error).message)}`);
      }
    }
    this.held--;
    batch.finish(ok, this.options.nakDelayMs ?? 1000);
    if (ok) this.stats.acked += items.length - batch.nakd.size;
    for (const msg of invalid) msg.term();
    // Acks are fire-and-forget; one flush per batch makes sure the server has them.
    await this.nats
      .connection()
      .then((nc) => nc.flush())
      .catch(() => undefined);
  }
}

/** `new BatchConsumer(...)`: the consume loop for a durable made with `ensureConsumer`. */
export function consumeBatches<T>(nats: NatsConnector, options: BatchConsumerOptions<T>): BatchConsumer<T> {
  return new BatchConsumer(nats, options);
}

/** Headers carrying a dedup id, for callers that publish through the core client themselves. */
export function dedupHeaders(msgId: string): ReturnType<typeof natsHeaders> {
  const h = natsHeaders();
  h.set('Nats-Msg-Id', msgId);
  return h;
}
