import type { NatsConnector } from '@cryptoscalp/messaging';

import { ServerNats } from '@nestjs/microservices';

/**
 * The Nest NATS transport on the service's one NATS connection: `@MessagePattern` handlers and
 * runtime-registered handlers ride the connection the NatsConnector keeps alive, and closing the
 * transport leaves the connection to the connector (which drains it last).
 */
export class SharedConnectionServerNats extends ServerNats {
  constructor(
    private readonly connector: NatsConnector,
    options: { queue?: string } = {},
  ) {
    super({ ...options });
  }

  override createNatsClient(): ReturnType<ServerNats['createNatsClient']> {
    return this.connector.connection() as unknown as ReturnType<ServerNats['createNatsClient']>;
  }

  override async close(): Promise<void> {
    // Unsubscribe our handlers only; the connector owns (and drains) the connection.
    const self = this as unknown as { subscriptions: { unsubscribe(): void }[]; natsClient: unknown };
    for (const sub of self.subscriptions) sub.unsubscribe();
    self.subscriptions = [];
    self.natsClient = null;
  }
}
