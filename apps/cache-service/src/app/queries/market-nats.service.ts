import { type DataSubscription, NatsConnector, Subjects } from '@cryptoscalp/messaging';

import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';

import { SERVICE_NAME } from '../cache.constants';
import { MarketQueries, type Params } from './market-queries';
import { serveQueries } from './nats-query-server';

/** `cache.l1`, `cache.book`, `cache.trades`, `cache.candles`, `cache.status`, `cache.bbo` over NATS request-reply. */
@Injectable()
export class MarketNatsService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(MarketNatsService.name);
  private subs: DataSubscription<Params>[] = [];

  constructor(
    private readonly nats: NatsConnector,
    private readonly subjects: Subjects,
    private readonly queries: MarketQueries,
  ) {}

  onApplicationBootstrap(): void {
    const q = this.queries;
    this.subs = serveQueries(
      this.nats,
      (name) => this.subjects.query('cache', name),
      this.subjects.queueGroup(SERVICE_NAME),
      {
        l1: (p) => q.l1(p),
        book: (p) => q.book(p),
        trades: (p) => q.trades(p),
        candles: (p) => q.candles(p),
        status: (p) => q.status(p),
        bbo: (p) => q.bbo(p),
      },
      this.logger,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.subs.map((s) => s.drain()));
  }
}
