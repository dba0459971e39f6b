// Test-only (imported by *.int-spec.ts): publishes trades into a namespaced MD_TRADES stream, and
// keeps the set published: the oracle the stored rows are compared with.
import { type JetStreamManager, type NatsConnection, RetentionPolicy, StorageType } from 'nats';

export interface FeedTrade {
  v: 1;
  venue: 'binance' | 'okx';
  symbol: string;
  id: string;
  price: string;
  size: string;
  side: 'buy' | 'sell';
  ts: number;
  recvTs: number;
}

export const tradeKey = (t: { venue: string; symbol: string; id: string }) => `${t.venue}|${t.symbol}|${t.id}`;

/** Trade number `i` of a deterministic feed over two instruments, `baseTs` + i ms. */
export function feedTrade(i: number, baseTs: number): FeedTrade {
  const binance = i % 3 !== 0;
  const cents = 6_000_000 + ((i * 7919) % 100_000);
  return {
    v: 1,
    venue: binance ? 'binance' : 'okx',
    symbol: binance ? 'BTC-USDT' : 'ETH-USDT',
    id: String(1_000_000 + i),
    price: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
    size: `0.${String(1 + (i % 997)).padStart(4, '0')}`,
    side: i % 2 ? 'buy' : 'sell',
    ts: baseTs + i,
    recvTs: (baseTs + i) * 1000 + 250,
  };
}

/** The stream as db-proxy (and the gateway) create it, created first by the test so it can publish before the service starts. */
export async function ensureTradesStream(jsm: JetStreamManager, prefix: string): Promise<string> {
  const name = `${prefix.slice(0, -1)}_MD_TRADES`;
  await jsm.streams.add({
    name,
    subjects: [`${prefix}md.trade.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    duplicate_window: 120_000_000_000,
    max_age: 7 * 24 * 3600 * 1_000_000_000,
  });
  return name;
}

/**
 * Publishes trades with their dedup id; `redundantCopy` re-sends a trade under another message id
 * (JetStream stores it twice: only the database can make it one row).
 */
export class TradeFeed {
  readonly published = new Map<string, FeedTrade>();
  messages = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly prefix: string,
  ) {}

  async publish(trades: FeedTrade[], opts: { redundantCopy?: (t: FeedTrade) => boolean } = {}): Promise<void> {
    const js = this.nc.jetstream();
    const pending: Promise<unknown>[] = [];
    for (const t of trades) {
      const subject = `${this.prefix}md.trade.${t.venue}.${t.symbol}`;
      const data = JSON.stringify(t);
      pending.push(js.publish(subject, data, { msgID: `${t.venue}:${t.symbol}:trade:${t.id}` }));
      if (opts.redundantCopy?.(t)) pending.push(js.publish(subject, data, { msgID: `${t.venue}:${t.symbol}:trade:${t.id}:again` }));
      this.published.set(tradeKey(t), t);
      if (pending.length >= 256) {
        this.messages += pending.length;
        await Promise.all(pending.splice(0));
      }
    }
    this.messages += pending.length;
    await Promise.all(pending);
  }
}
