import { BackgroundRetry, RetryStoppedError } from '@cryptoscalp/circuit-breaker';
import { MetricsRegistry } from '@cryptoscalp/metrics';

import { connect, type ConnectionOptions, DebugEvents, Events, type Msg, type NatsConnection } from 'nats';

import { encodeJson } from './codec';
import { type MessagingLogger, stderrLogger } from './messaging-logger';
import {
  type BatchHandler,
  type BatchSubscribeOptions,
  BatchSubscription,
  DataSubscription,
  type DataSubscriptionBase,
  type MessageHandler,
  type SubscribeOptions,
  type SubscriptionContext,
} from './subscription';

export type NatsState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'closed';

export interface NatsConnectorOptions {
  /** One or more server URLs, e.g. `nats://127.0.0.1:4222`. */
  servers: string[];
  /** Connection name shown by the server (`nats server report connections`). */
  name: string;
  user?: string;
  pass?: string;
  token?: string;
  /** First wait between connect attempts, and the client's wait between reconnect attempts (default 1000). */
  reconnectTimeWaitMs?: number;
  /** Cap of the backoff between attempts to build a connection (default 5000). */
  maxBackoffMs?: number;
  /** The client's own reconnect attempts before it closes the connection (default -1: forever). */
  maxReconnectAttempts?: number;
  /**
   * After a connection closed without being asked to, and no new one could be built for this long,
   * `unrecoverable` turns true (liveness should fail so the orchestrator restarts the process).
   * Default 5 minutes. Attempts go on meanwhile.
   */
  unrecoverableAfterMs?: number;
  /** Subject prefix stripped when naming subject groups in metrics (`NATS_SUBJECT_PREFIX`). */
  subjectPrefix?: string;
  /** Drop counters and subscription gauges are declared here (a private registry otherwise). */
  metrics?: MetricsRegistry;
  logger?: MessagingLogger;
  /** Called on every state change (metrics, logs, events). */
  onStateChange?: (state: NatsState, detail?: string) => void;
}

/**
 * The instance's one NATS connection, and the data plane on it.
 *
 * - Waits for the first connect in the background (a service boots and reports `fail` readiness
 *   while NATS is down); the client then reconnects by itself after outages.
 * - When the client gives up and closes the connection (repeated authorization errors,
 *   `maxReconnectAttempts` exhausted), builds a new connection with backoff and re-binds every
 *   subscription made through `subscribe`/`subscribeBatch`. If that has not worked for
 *   `unrecoverableAfterMs`, `unrecoverable` is true.
 * - `subscribe` decodes, counts and drops bad input, catches handler errors, drains on close.
 */
export class NatsConnector {
  private nc: NatsConnection | undefined;
  private currentState: NatsState = 'connecting';
  private lastError: string | undefined;
  private closing = false;
  private retry: BackgroundRetry<NatsConnection> | undefined;
  private lostSince: number | undefined;
  private waiters: { resolve: (nc: NatsConnection) => void; reject: (e: Error) => void }[] = [];
  private readonly subs = new Set<DataSubscriptionBase<unknown>>();
  private readonly ctx: SubscriptionContext;
  private readonly logger: MessagingLogger;
  private readonly prefix: string;
  private readonly dropped;
  /** Client reconnects (same connection object) since start. */
  reconnects = 0;
  /** New connections built after the previous one closed unasked. */
  rebuilds = 0;

  constructor(private readonly options: NatsConnectorOptions) {
    this.logger = options.logger ?? stderrLogger;
    this.prefix = options.subjectPrefix ?? '';
    const metrics = options.metrics ?? new MetricsRegistry({ service: 'nats', instance: options.name, defaultMetrics: false });
    this.dropped = metrics.counter(
      'nats_messages_dropped_total',
      'NATS messages dropped: invalid, handler errors, overflow, not connected',
      ['subject_group', 'reason'],
    );
    const subs = this.subs;
    metrics.gauge('nats_subscription_messages', 'Messages received by data-plane subscriptions', ['subject_group'], function () {
      this.reset();
      for (const s of subs) this.inc({ subject_group: s.group }, s.stats.received);
    });
    this.ctx = {
      logger: this.logger,
      dropped: this.dropped,
      group: (s) => this.subjectGroup(s),
      onClosed: (s) => this.subs.delete(s),
    };
    this.build('first connect');
  }

  get state(): NatsState {
    return this.currentState;
  }

  get error(): string | undefined {
    return this.lastError;
  }

  /** True when the connection closed unasked and no new one could be built for `unrecoverableAfterMs`. */
  get unrecoverable(): boolean {
    return this.lostSince !== undefined && Date.now() - this.lostSince > (this.options.unrecoverableAfterMs ?? 300_000);
  }

  /** The live connection, or undefined while not connected. */
  get connectionOrUndefined(): NatsConnection | undefined {
    return this.currentState === 'connected' ? this.nc : undefined;
  }

  /**
   * Resolves with the current connection, waiting for one if there is none. Prefer `subscribe`:
   * a subscription made directly on this connection is lost if the connection is replaced.
   */
  connection(): Promise<NatsConnection> {
    if (this.nc && !this.nc.isClosed()) return Promise.resolve(this.nc);
    if (this.closing) return Promise.reject(new Error('NATS connector closed'));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * Subscribes on the instance's connection, now and on every connection built later.
   * `schema` (or `decoder`) decodes each message; bad input is counted
   * (`cs_nats_messages_dropped_total{reason="invalid"}`), logged truncated and dropped (a request
   * gets an error reply). Handler errors are caught and counted (`reason="handler_error"`).
   */
  subscribe<T = Uint8Array>(subject: string, handler: MessageHandler<T>, options: SubscribeOptions<T> = {}): DataSubscription<T> {
    return this.track(new DataSubscription<T>(subject, handler, options, this.ctx));
  }

  /** Like `subscribe`, but the handler gets arrays of decoded messages (see BatchSubscription). */
  subscribeBatch<T = Uint8Array>(subject: string, handler: BatchHandler<T>, options: BatchSubscribeOptions<T> = {}): BatchSubscription<T> {
    return this.track(new BatchSubscription<T>(subject, handler, options, this.ctx));
  }

  /** Publish if connected; when not, counts a drop (`reason="disconnected"`) and returns false. */
  publish(subject: string, data: Uint8Array, headers?: Parameters<NatsConnection['publish']>[2]): boolean {
    const nc = this.connectionOrUndefined;
    if (!nc) {
      this.dropped.inc({ subject_group: this.subjectGroup(subject), reason: 'disconnected' });
      return false;
    }
    nc.publish(subject, data, headers);
    return true;
  }

  /** `publish` of a JSON value. */
  publishJson(subject: string, value: unknown): boolean {
    return this.publish(subject, encodeJson(value));
  }

  async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Msg> {
    const nc = await this.connection();
    return nc.request(subject, data, { timeout: timeoutMs });
  }

  /** Round trip to the server in milliseconds (throws when not connected). */
  async rtt(): Promise<number> {
    const nc = this.connectionOrUndefined;
    if (!nc) throw new Error(`NATS is ${this.currentState}${this.lastError ? `: ${this.lastError}` : ''}`);
    return nc.rtt();
  }

  /** Low-cardinality label for a subject: the prefix stripped, the first two tokens (`md.trade`). */
  subjectGroup(subject: string): string {
    const s = this.prefix && subject.startsWith(this.prefix) ? subject.slice(this.prefix.length) : subject;
    const first = s.indexOf('.');
    if (first < 0) return s;
    const second = s.indexOf('.', first + 1);
    return second < 0 ? s : s.slice(0, second);
  }

  /** Drains every subscription (in-flight handlers finish), then the connection. */
  async close(): Promise<void> {
    this.closing = true;
    this.retry?.stop();
    for (const w of this.waiters.splice(0)) w.reject(new Error('NATS connector closed'));
    const nc = this.nc;
    if (nc && !nc.isClosed()) {
      await Promise.all([...this.subs].map((s) => s.drain()));
      await nc.drain().catch(() => nc.close());
    }
    this.subs.clear();
    this.setState('closed');
  }

  private track<S>(sub: S): S {
    const s = sub as unknown as DataSubscriptionBase<unknown>;
    this.subs.add(s);
    const nc = this.connectionOrUndefined ?? (this.nc && !this.nc.isClosed() ? this.nc : undefined);
    if (nc) s.bind(nc);
    return sub;
  }

  private connectOptions(): ConnectionOptions {
    return {
      servers: this.options.servers,
      name: this.options.name,
      user: this.options.user,
      pass: this.options.pass,
      token: this.options.token,
      maxReconnectAttempts: this.options.maxReconnectAttempts ?? -1,
      reconnectTimeWait: this.options.reconnectTimeWaitMs ?? 1000,
      reconnectJitter: 500,
      pingInterval: 10_000,
      maxPingOut: 3,
    };
  }

  /** Connects in the background with the platform's backoff until it works or close() is called. */
  private build(why: string): void {
    const initialDelayMs = this.options.reconnectTimeWaitMs ?? 1000;
    this.retry = new BackgroundRetry(() => connect(this.connectOptions()), {
      initialDelayMs,
      maxDelayMs: Math.max(initialDelayMs, this.options.maxBackoffMs ?? 5000),
      onFailure: (err, attempt, delay) => {
        this.lastError = err.message;
        if (attempt === 1 || attempt % 10 === 0) {
          this.logger.warn(`NATS ${why}: attempt ${attempt} failed (${err.message}); retrying in ${Math.round(delay)} ms`);
        }
      },
    });
    this.retry.done.then(
      (nc) => this.adopt(nc),
      (err: Error) => {
        if (!(err instanceof RetryStoppedError)) this.logger.error(`NATS connect loop ended: ${err.message}`);
      },
    );
  }

  private adopt(nc: NatsConnection): void {
    if (this.closing) {
      void nc.close();
      return;
    }
    const rebuilt = this.nc !== undefined;
    this.nc = nc;
    this.lostSince = undefined;
    this.lastError = undefined;
    if (rebuilt) {
      this.rebuilds++;
      this.logger.log(`NATS connection rebuilt; ${this.subs.size} subscriptions re-bound`);
    }
    for (const s of this.subs) s.bind(nc);
    this.setState('connected');
    for (const w of this.waiters.splice(0)) w.resolve(nc);
    void this.watch(nc);
    void nc.closed().then((err) => this.onClosed(nc, err));
  }

  private onClosed(nc: NatsConnection, err: Error | void): void {
    if (err) this.lastError = err.message;
    if (this.closing || nc !== this.nc) return;
    // Closed without close(): the client gave up. Build a new connection.
    this.lostSince = Date.now();
    this.setState('reconnecting', `connection closed${err ? `: ${err.message}` : ''}`);
    this.logger.error(`NATS connection closed${err ? ` (${err.message})` : ''}; building a new one`);
    this.build('rebuild');
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (nc !== this.nc || this.closing) continue;
      switch (status.type) {
        case Events.Disconnect:
          this.setState('disconnected', String(status.data));
          break;
        case DebugEvents.Reconnecting:
          this.setState('reconnecting', String(status.data));
          break;
        case Events.Reconnect:
          this.reconnects++;
          this.lastError = undefined;
          this.setState('connected', String(status.data));
          break;
        case Events.Error:
          this.lastError = String(status.data);
          break;
        default:
          break;
      }
    }
  }

  private setState(state: NatsState, detail?: string): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.options.onStateChange?.(state, detail);
  }
}
