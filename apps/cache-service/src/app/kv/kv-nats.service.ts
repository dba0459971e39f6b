import { type DataSubscription, NatsConnector, Subjects } from '@cryptoscalp/messaging';

import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';

import { SERVICE_NAME } from '../cache.constants';
import type { Params } from '../queries/market-queries';
import { serveQueries } from '../queries/nats-query-server';
import { KvQueries } from './kv-queries';

/** `cache.kv.get|mget|set|del|stats` over NATS request-reply. */
@Injectable()
export class KvNatsService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(KvNatsService.name);
  private subs: DataSubscription<Params>[] = [];

  constructor(
    private readonly nats: NatsConnector,
    private readonly subjects: Subjects,
    private readonly kv: KvQueries,
  ) {}

  onApplicationBootstrap(): void {
    const kv = this.kv;
    this.subs = serveQueries(
      this.nats,
      (name) => this.subjects.query('cache', `kv.${name}`),
      this.subjects.queueGroup(SERVICE_NAME),
      {
        get: (p) => kv.get(p),
        mget: (p) => kv.mget(p),
        set: (p) => kv.set(p),
        del: (p) => kv.del(p),
        stats: () => kv.stats(),
      },
      this.logger,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.subs.map((s) => s.drain()));
  }
}
