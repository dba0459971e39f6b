import { connect, type ConnectionOptions, DebugEvents, Events, type Msg, type NatsConnection } from 'nats';

export type NatsState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'closed';

export interface NatsConnectorOptions {
  /** One or more server URLs, e.g. `nats://127.0.0.1:4222`. */
  servers: string[];
  /** Connection name shown by the server (`nats server report connections`). */
  name: string;
  user?: string;
  pass?: string;
  token?: string;
  /** Base wait between reconnect attempts; jitter is added by the client. */
  reconnectTimeWaitMs?: number;
  /** Called on every state change (metrics, logs, events). */
  onStateChange?: (state: NatsState, detail?: string) => void;
}

/**
 * One long-lived NATS connection that never gives up: it waits for the first connect in the
 * background (a service boots and reports `fail` readiness while NATS is down) and reconnects
 * forever with jittered backoff afterwards. Its state feeds health and metrics.
 */
export class NatsConnector {
  private nc: NatsConnection | undefined;
  private currentState: NatsState = 'connecting';
  private lastError: string | undefined;
  private closing = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private wakeRetry: (() => void) | undefined;
  private readonly ready: Promise<NatsConnection>;
  reconnects = 0;

  constructor(private readonly options: NatsConnectorOptions) {
    this.ready = this.start();
    // The promise is observed by callers of connection(); avoid an unhandled rejection at close.
    this.ready.catch(() => undefined);
  }

  get state(): NatsState {
    return this.currentState;
  }

  get error(): string | undefined {
    return this.lastError;
  }

  /** The live connection, or undefined while not (yet) connected. */
  get connectionOrUndefined(): NatsConnection | undefined {
    return this.currentState === 'connected' ? this.nc : undefined;
  }

  /** Resolves once the first connection is established. */
  connection(): Promise<NatsConnection> {
    return this.ready;
  }

  /** Publish if connected; returns false (and drops nothing silently: the caller decides) when not. */
  publish(subject: string, data: Uint8Array, headers?: Parameters<NatsConnection['publish']>[2]): boolean {
    const nc = this.connectionOrUndefined;
    if (!nc) return false;
    nc.publish(subject, data, headers);
    return true;
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

  async close(): Promise<void> {
    this.closing = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.wakeRetry?.();
    const nc = this.nc;
    if (!nc) {
      this.setState('closed');
      return;
    }
    if (!nc.isClosed()) {
      await nc.drain().catch(() => nc.close());
    }
    this.setState('closed');
  }

  private async start(): Promise<NatsConnection> {
    const opts: ConnectionOptions = {
      servers: this.options.servers,
      name: this.options.name,
      user: this.options.user,
      pass: this.options.pass,
      token: this.options.token,
      // After the first connect the client reconnects forever by itself.
      maxReconnectAttempts: -1,
      reconnectTimeWait: this.options.reconnectTimeWaitMs ?? 1000,
      reconnectJitter: 500,
      pingInterval: 10_000,
      maxPingOut: 3,
    };
    // Until the first connect we retry here (capped, jittered backoff) so close() can stop it.
    let nc: NatsConnection | undefined;
    for (let attempt = 0; !nc; attempt++) {
      if (this.closing) throw new Error('NATS connector closed before the first connect');
      try {
        nc = await connect(opts);
      } catch (err) {
        this.lastError = (err as Error).message;
        const base = this.options.reconnectTimeWaitMs ?? 1000;
        const delay = Math.min(base * 2 ** Math.min(attempt, 3), 5_000) * (0.5 + Math.random() / 2);
        await new Promise<void>((resolve) => {
          this.retryTimer = setTimeout(resolve, delay);
          this.wakeRetry = resolve;
        });
      }
    }
    if (this.closing) {
      await nc.close();
      throw new Error('NATS connector closed before the first connect');
    }
    this.nc = nc;
    this.lastError = undefined;
    this.setState('connected');
    void this.watch(nc);
    void nc.closed().then((err) => {
      if (err) this.lastError = err.message;
      this.setState('closed', err?.message);
    });
    return nc;
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
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
