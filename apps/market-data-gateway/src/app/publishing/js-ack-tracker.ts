import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from 'nats';

/** One JetStream publish waiting for its ack. */
export interface Outstanding<T> {
  item: T;
  /** When it was handed to the client (`Date.now()`). */
  at: number;
}

export interface JsAckTrackerOptions<T> {
  /** Acks older than this are given up on (the item is handed to `onFail`; its retry keeps the same `Nats-Msg-Id`). */
  ackTimeoutMs: number;
  onAck(item: T, duplicate: boolean): void;
  onFail(item: T, reason: string): void;
}

/**
 * Asynchronous JetStream publishing without a request per message: every publish goes out as
 * `HPUB <subject> <inbox>.<n>` with its `Nats-Msg-Id` header on the connection's one inbox
 * subscription (`<inbox>.*`), and acks are matched by `<n>`. No promise, no timer and no request
 * object per message (the client's `js.publish` creates all three, an `Error` for a stack trace
 * and a flush per awaited call); one sweep finds acks that never came. Plain `NatsConnection`
 * public API only (publish with reply and headers, subscribe).
 */
export class JsAckTracker<T> {
  private nc: NatsConnection | undefined;
  private sub: Subscription | undefined;
  private inbox = '';
  private next = 1;
  /** Insertion order = publish order, so the sweep stops at the first entry that is still young. */
  private readonly pending = new Map<number, Outstanding<T>>();
  readonly stats = { published: 0, acked: 0, duplicates: 0, failed: 0, timeouts: 0 };

  constructor(private readonly options: JsAckTrackerOptions<T>) {}

  get outstanding(): number {
    return this.pending.size;
  }

  /** Publishes on `nc` (binding the inbox to it first when the connection object changed). */
  publish(nc: NatsConnection, subject: string, data: Uint8Array, msgId: string, item: T): void {
    if (nc !== this.nc) this.bind(nc);
    const n = this.next++;
    const h = headers();
    h.set('Nats-Msg-Id', msgId);
    nc.publish(subject, data, { reply: `${this.inbox}.${n}`, headers: h });
    this.pending.set(n, { item, at: Date.now() });
    this.stats.published++;
  }

  /** Fails every ack older than the timeout (call it periodically). */
  sweep(now = Date.now()): void {
    const limit = now - this.options.ackTimeoutMs;
    for (const [n, o] of this.pending) {
      if (o.at > limit) break;
      this.pending.delete(n);
      this.stats.timeouts++;
      this.stats.failed++;
      this.options.onFail(o.item, `no ack within ${this.options.ackTimeoutMs} ms`);
    }
  }

  /** Gives every outstanding publish up at once (the connection was replaced: their acks cannot come). */
  failAll(reason: string): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const o of all) {
      this.stats.failed++;
      this.options.onFail(o.item, reason);
    }
  }

  close(): void {
    this.sub?.unsubscribe();
    this.sub = undefined;
    this.nc = undefined;
  }

  private bind(nc: NatsConnection): void {
    if (this.nc) {
      this.sub?.unsubscribe();
      this.failAll('connection replaced');
    }
    this.nc = nc;
    this.inbox = createInbox();
    this.sub = nc.subscribe(`${this.inbox}.*`, { callback: (_err, m) => this.onAckMessage(m) });
  }

  private onAckMessage(m: Msg): void {
    const n = Number(m.subject.slice(this.inbox.length + 1));
    const o = this.pending.get(n);
    if (!o) return; // timed out already (its retry will be acked as a duplicate)
    this.pending.delete(n);
    // A status message (503 no responders: no stream for the subject yet) has headers and no body.
    if (m.data.length === 0 || m.headers?.hasError) {
      this.stats.failed++;
      this.options.onFail(o.item, m.headers?.hasError ? `${m.headers.code} ${m.headers.description}` : 'empty ack');
      return;
    }
    const text = m.string();
    if (text.includes('"error"')) {
      this.stats.failed++;
      this.options.onFail(o.item, text.slice(0, 200));
      return;
    }
    const duplicate = text.includes('"duplicate":true');
    this.stats.acked++;
    if (duplicate) this.stats.duplicates++;
    this.options.onAck(o.item, duplicate);
  }
}
