import type { ServiceName, Venue } from './venues';

/** Market-data kinds that travel on `md.<kind>.<venue>.<symbol>`. */
export type MarketDataKind = 'trade' | 'l1' | 'l2' | 'status';

/** Names of the JetStream streams the platform owns. */
export const STREAMS = { trades: 'MD_TRADES' } as const;

/**
 * Builds every subject the platform uses. The optional prefix namespaces a whole deployment
 * (or one test run) on a shared NATS server: `t1.` turns `md.trade.binance.BTC-USDT` into
 * `t1.md.trade.binance.BTC-USDT` and stream `MD_TRADES` into `t1_MD_TRADES`.
 */
export class Subjects {
  constructor(readonly prefix = '') {
    if (prefix !== '' && !/^[A-Za-z0-9_-]+\.$/.test(prefix)) {
      throw new Error(`NATS subject prefix "${prefix}" must be one token followed by a dot, e.g. "test1."`);
    }
  }

  marketData(kind: MarketDataKind, venue: Venue | '*', symbol: string | '*'): string {
    return `${this.prefix}md.${kind}.${venue}.${symbol}`;
  }

  trade(venue: Venue, symbol: string): string {
    return this.marketData('trade', venue, symbol);
  }

  l1(venue: Venue, symbol: string): string {
    return this.marketData('l1', venue, symbol);
  }

  l2(venue: Venue, symbol: string): string {
    return this.marketData('l2', venue, symbol);
  }

  status(venue: Venue, symbol: string): string {
    return this.marketData('status', venue, symbol);
  }

  /** All market data of one kind: `md.trade.>` */
  allOf(kind: MarketDataKind): string {
    return `${this.prefix}md.${kind}.>`;
  }

  heartbeat(service: ServiceName | string, instance: string): string {
    return `${this.prefix}svc.heartbeat.${service}.${instance}`;
  }

  allHeartbeats(): string {
    return `${this.prefix}svc.heartbeat.>`;
  }

  event(service: ServiceName | string, kind: string): string {
    return `${this.prefix}svc.event.${service}.${kind}`;
  }

  allEvents(): string {
    return `${this.prefix}svc.event.>`;
  }

  /** Request-reply: the detailed status of one instance. */
  instanceStatus(service: ServiceName | string, instance: string): string {
    return `${this.prefix}svc.status.${service}.${instance}`;
  }

  /** Request-reply query APIs: `cache.<query>` and `db.<query>`. */
  query(api: 'cache' | 'db', name: string): string {
    return `${this.prefix}${api}.${name}`;
  }

  stream(name: (typeof STREAMS)[keyof typeof STREAMS]): string {
    return this.namespaced(name);
  }

  /** A KV bucket name, namespaced like streams (`t1_latest`). */
  kv(bucket: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(bucket)) throw new Error(`KV bucket "${bucket}" must be letters, digits, "_" or "-"`);
    return this.namespaced(bucket);
  }

  /**
   * Queue group for a service's query subjects (`cache.*`, `db.*`): each request is answered by one
   * replica. Per-instance subjects (`svc.status.<service>.<instance>`) never use one.
   */
  queueGroup(service: ServiceName | string): string {
    return `q.${service}`;
  }

  private namespaced(name: string): string {
    return this.prefix === '' ? name : `${this.prefix.slice(0, -1)}_${name}`;
  }
}

/** Instance ids and subject tokens must not contain NATS separators or wildcards. */
export function toSubjectToken(value: string): string {
  return value.replace(/[.*>\s]/g, '_');
}

/**
 * JetStream dedup id (`Nats-Msg-Id`): deterministic so that redundant gateway replicas and
 * reconnect replays never produce a second copy downstream.
 */
export function dedupId(venue: Venue, symbol: string, kind: MarketDataKind, idOrSeq: string | number): string {
  return `${venue}:${symbol}:${kind}:${idOrSeq}`;
}
