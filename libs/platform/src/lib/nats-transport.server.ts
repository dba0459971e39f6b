import { type DataSubscription, type Decoder, encodeJson, type NatsConnector, PayloadError } from '@cryptoscalp/messaging';

import { type CustomTransportStrategy, NatsContext, Server } from '@nestjs/microservices';
import type { Msg, NatsConnection } from 'nats';

/** Nest's NATS wire format: `{ pattern, data, id }` (a request has an id, an event has none). */
interface NestPacket {
  pattern?: unknown;
  data?: unknown;
  id?: string;
}

const text = new TextDecoder();

/** Decodes a Nest packet, or throws PayloadError (the subscription counts, logs and drops it). */
const nestPacket: Decoder<NestPacket> = {
  decode(data, subject) {
    const raw = text.decode(data);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new PayloadError(subject, `not JSON (${(err as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new PayloadError(subject, 'expected a {pattern, data, id} object');
    const id = (value as NestPacket).id;
    if (id !== undefined && typeof id !== 'string') throw new PayloadError(subject, 'id: expected a string');
    return value as NestPacket;
  },
};

export interface NatsTransportOptions {
  /**
   * Queue group of request-reply handlers (`q.<service>`): one replica answers each request.
   * A handler registered with `extras: { queue: false }` (per-instance subjects) gets every message;
   * event handlers use no queue unless their extras name one.
   */
  queue?: string;
}

/**
 * The Nest microservice transport for low-rate request-reply (`@MessagePattern`) on the
 * instance's one NATS connection. Subscriptions are made through `NatsConnector.subscribe`, so
 * they are hardened like every data-plane subscription (a payload that does not decode is counted,
 * logged truncated and answered with an error reply, never thrown) and re-bound when the
 * connector builds a new connection. Market data (`md.*`) never goes through here.
 */
export class NatsTransportServer extends Server implements CustomTransportStrategy {
  private subscriptions: DataSubscription<NestPacket>[] = [];

  constructor(
    private readonly connector: NatsConnector,
    private readonly options: NatsTransportOptions = {},
  ) {
    super();
  }

  listen(callback: (...optionalParams: unknown[]) => void): void {
    for (const [pattern, handler] of this.getHandlers()) {
      const extras = handler.extras as { queue?: string | false } | undefined;
      const queue = extras?.queue === false ? undefined : (extras?.queue ?? (handler.isEventHandler ? undefined : this.options.queue));
      this.subscriptions.push(
        this.connector.subscribe(pattern, (packet, msg) => this.handle(pattern, packet, msg), {
          queue,
          decoder: nestPacket,
          concurrency: 16,
          invalidReply: (problem) => encodeJson({ err: `invalid request: ${problem.slice(0, 200)}`, isDisposed: true }),
        }),
      );
    }
    callback();
  }

  async close(): Promise<void> {
    const subs = this.subscriptions;
    this.subscriptions = [];
    await Promise.all(subs.map((s) => s.drain()));
  }

  on(): void {
    /* status events come from the NatsConnector */
  }

  unwrap<T = NatsConnection | undefined>(): T {
    return this.connector.connectionOrUndefined as T;
  }

  /** Same protocol as Nest's ServerNats: events go to `handleEvent`, requests get `{ id, response | err, isDisposed }`. */
  private async handle(pattern: string, packet: NestPacket, msg: Msg): Promise<unknown> {
    const ctx = new NatsContext([msg.subject, msg.headers]);
    if (packet.id === undefined) return this.handleEvent(pattern, { pattern, data: packet.data }, ctx);
    const id = packet.id;
    const reply = (response: object) => {
      if (msg.reply) msg.respond(encodeJson({ ...response, id }));
    };
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) return reply({ err: 'There is no matching message handler defined in the remote service.', isDisposed: true });
    try {
      const response$ = this.transformToObservable(await handler(packet.data, ctx));
      if (response$) this.send(response$, reply);
    } catch (err) {
      reply({ err: (err as Error)?.message ?? String(err), isDisposed: true });
      throw err;
    }
    return undefined;
  }
}
