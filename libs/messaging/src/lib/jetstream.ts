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
  /** @internal deliveries nak'd by the handler (under ack-all they stay pending on the server). */
  readonly nakd = new Set<JsMsg>();

  constructor(
    readonly items: Delivery<T>[],
    /** @internal under AckPolicy.All a message is never acked or terminated on its own (that acks every lower sequence). */
    private readonly ackAll = false,
  ) {}

  /** Redeliver this one later. */
  nak(item: Delivery<T>, delayMs?: number): void {
    this.settled.add(item.msg);
    this.nakd.add(item.msg);
    item.msg.nak(delayMs);
  }

  /** Never redeliver this one (poison message). Under ack-all it is acknowledged with the batch. */
  term(item: Delivery<T>): void {
    this.settled.add(item.msg);
    if (!this.ackAll) item.msg.term();
  }

  /** @internal explicit acks: ack (or nak) every unsettled delivery. */
  finish(ok: boolean, nakDelayMs: number): void {
    for (const { msg } of this.items) {
      if (this.settled.has(msg)) continue;
      if (ok) {
        if (!this.ackAll) msg.ack();
      } else msg.nak(nakDelayMs);
    }
  }
}

/**
 * Which messages may be covered by one AckPolicy.All acknowledgement. Acking stream sequence S
 * acknowledges every pending message at or below S, whoever holds it, so S is acked only when
 * every message at or below S that is still pending on the server was committed here: either
 * the sequences from the server's ack floor up to S are all committed here, or (read from the
 * server) every pending message of the durable is one this client holds, none of them
 * uncommitted at or below S. A crashed predecessor's or another replica's uncommitted batch
 * below S therefore blocks the ack until it is acked by its holder or redelivered and committed here.
 */
export class AckAllTracker {
  /** Stream sequences delivered here and not acked yet → the message (null while not committed). */
  private readonly held = new Map<number, JsMsg | null>();
  /** Highest stream sequence known acknowledged on the server. */
  floor = 0;

  /** Delivered here (in a pulled batch, before its handler ran). */
  delivered(msg: JsMsg): void {
    const seq = msg.info.streamSequence;
    if (seq > this.floor) this.held.set(seq, null);
  }

  /** Committed (or terminated: acknowledged with the rest). */
  committed(msg: JsMsg): void {
    const seq = msg.info.streamSequence;
    if (seq > this.floor) this.held.set(seq, msg);
    else this.held.delete(seq);
  }

  /** Given back to the server (nak): no longer held here, pending there. */
  released(msg: JsMsg): void {
    this.held.delete(msg.info.streamSequence);
  }

  get size(): number {
    return this.held.size;
  }

  /** The highest committed message with no uncommitted one held at or below it. */
  candidate(): JsMsg | undefined {
    let lowestOpen = Infinity;
    for (const [seq, m] of this.held) if (m === null && seq < lowestOpen) lowestOpen = seq;
    let best: JsMsg | undefined;
    let bestSeq = this.floor;
    for (const [seq, m] of this.held) {
      if (m !== null && seq < lowestOpen && seq > bestSeq) {
        best = m;
        bestSeq = seq;
      }
    }
    return best;
  }

  /** Every sequence from the floor up to `seq` committed here. */
  contiguous(seq: number): boolean {
    if (seq - this.floor > this.held.size) return false;
    for (let s = this.floor + 1; s <= seq; s++) if (!this.held.get(s)) return false;
    return true;
  }

  /** `msg` was acked: it and everything below is done on the server. */
  acked(msg: JsMsg): void {
    this.advance(msg.info.streamSequence);
  }

  /** The server's ack floor is (at least) `seq`: everything at or below is done there. */
  advance(seq: number): void {
    if (seq > this.floor) this.floor = seq;
    for (const s of this.held.keys()) if (s <= this.floor) this.held.delete(s);
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
  /** Acknowledgements sent (one per message with explicit acks; at most one per batch with ack-all). */
  acks: number;
  /** Batches whose ack-all had to wait for a lower sequence held elsewhere (consumer info read). */
  ackWaits: number;
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
 * one more batch waits decoded. The ack mode follows the durable's `ack_policy` (read once):
 * explicit acks every message; `all` acks one message per batch when that is safe (`AckAllTracker`).
 * Survives outages and connection rebuilds (it asks the connector every round).
 */
export class BatchConsumer<T> {
  readonly stats: BatchConsumerStats = { batches: 0, acked: 0, nakBatches: 0, invalid: 0, redelivered: 0, acks: 0, ackWaits: 0, maxBatchesHeld: 0 };
  readonly done: Promise<void>;
  private stopping = false;
  private wake: (() => void) | undefined;
  private readonly decoder: Decoder<T>;
  private readonly log: RateLimitedLog;
  private ackAll: boolean | undefined;
  private readonly tracker = new AckAllTracker();
  private held = 0;

  constructor(
    private readonly nats: NatsConnector,
    private readonly options: BatchConsumerOptions<T>,
  ) {
    this.decoder = options.decoder ?? (options.schema ? zodDecoder(options.schema) : (rawBytes as unknown as Decoder<T>));
    this.log = new RateLimitedLog(options.logger ?? stderrLogger);
    this.done = this.run();
  }

  /** True when the durable acknowledges with AckPolicy.All (known after the first pull). */
  get ackAllMode(): boolean | undefined {
    return this.ackAll;
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
        // Idle: a committed batch whose ack waited for another holder is acked as soon as it may.
        if (this.ackAll && this.tracker.candidate()) await this.ackCommitted();
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
      if (this.ackAll === undefined) {
        const info = await (await nc.jetstreamManager()).consumers.info(stream, durable);
        this.ackAll = info.config.ack_policy === AckPolicy.All;
        this.tracker.advance(info.ack_floor.stream_seq);
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
      if (this.ackAll) this.tracker.delivered(msg);
      try {
        items.push({ value: this.decoder.decode(msg.data, msg.subject), msg });
      } catch (err) {
        this.stats.invalid++;
        this.log.warn(() => `${this.ackAll ? 'acknowledged (dropped)' : 'terminated'} invalid message on ${msg.subject}: ${sample((err as Error).message)}`);
        invalid.push(msg);
      }
    }
    if (msgs.length > 0 && ++this.held > this.stats.maxBatchesHeld) this.stats.maxBatchesHeld = this.held;
    return { items, invalid };
  }

  /** A batch not handed to the handler (stopping): back to the server at once. */
  private giveBack(pulled: Pulled<T>): void {
    for (const { msg } of pulled.items) {
      msg.nak();
      if (this.ackAll) this.tracker.released(msg);
    }
    for (const msg of pulled.invalid) if (!this.ackAll) msg.term();
    this.held--;
  }

  private async process(pulled: Pulled<T>): Promise<void> {
    const { items, invalid } = pulled;
    const ackAll = this.ackAll === true;
    let ok = true;
    const batch = new JsBatch(items, ackAll);
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
    if (!ackAll) {
      for (const msg of invalid) msg.term();
      if (ok) this.stats.acks += items.length - batch.nakd.size;
    } else {
      for (const { msg } of items) {
        if (!ok || batch.nakd.has(msg)) this.tracker.released(msg);
        else this.tracker.committed(msg);
      }
      for (const msg of invalid) this.tracker.committed(msg);
      await this.ackCommitted();
    }
    // Acks are fire-and-forget; one flush per batch makes sure the server has them.
    await this.nats
      .connection()
      .then((nc) => nc.flush())
      .catch(() => undefined);
  }

  /** Ack-all: acknowledge the highest committed message when nothing uncommitted is pending at or below it. */
  private async ackCommitted(): Promise<void> {
    const msg = this.tracker.candidate();
    if (!msg) return;
    const seq = msg.info.streamSequence;
    if (!this.tracker.contiguous(seq)) {
      // Something below is held elsewhere (a crashed predecessor, another replica) or was
      // acknowledged by someone else: ask the server.
      this.stats.ackWaits++;
      try {
        const nc = await this.nats.connection();
        const info = await (await nc.jetstreamManager()).consumers.info(this.options.stream, this.options.durable);
        this.tracker.advance(info.ack_floor.stream_seq);
        if (seq <= this.tracker.floor) return; // already acknowledged on the server
        // Every pending message is one held here (none of them uncommitted at or below seq).
        const onlyOurs = info.num_ack_pending === this.tracker.size;
        if (!onlyOurs && !this.tracker.contiguous(seq)) return; // wait: committed here, acked later
      } catch {
        return; // not now; the next batch tries again
      }
    }
    msg.ack();
    this.stats.acks++;
    this.tracker.acked(msg);
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
