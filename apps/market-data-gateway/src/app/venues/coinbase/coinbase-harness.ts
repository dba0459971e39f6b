import { ConnectionContext } from '../../feeds/connection-context';
import { SymbolFeed } from '../../feeds/symbol-feed';
import { NOOP_METRICS } from '../../feeds/venue-metrics';
import { RecordingSink } from '../../replay/replay-session';
import { type RestClient, RestError } from '../../rest/rest.types';
import type { CarriedSymbol, Channel, VenueSession } from '../venue-adapter';
import type { CoinbaseAdapter } from './coinbase.adapter';

/** The documented `match` (docs.cdp.coinbase.com → Exchange → WebSocket feed → Channels), shared by the specs. */
export const DOC_MATCH = {
  type: 'match',
  trade_id: 10,
  sequence: 50,
  maker_order_id: 'ac928c66-ca53-498f-9c13-a110027a60e8',
  taker_order_id: '132fb6ae-456b-4654-b4e0-d681ac05cea1',
  time: '2014-11-07T08:19:27.028459Z',
  product_id: 'BTC-USD',
  size: '5.23512',
  price: '400.23',
  side: 'sell',
};

export interface Harness {
  session: VenueSession;
  ctx: ConnectionContext;
  sink: RecordingSink;
  feeds: Map<string, SymbolFeed>;
  /** Frames the session sent (resubscribes, fallbacks). */
  sent: string[];
  rotations: string[];
  /** Feeds one frame (an object is JSON-encoded), receive time now. */
  frame(f: string | object): void;
}

const NO_REST: RestClient = { getJson: (r) => Promise.reject(new RestError(404, r.url, 'no REST in this test')) };

/**
 * Spec helper: one Coinbase session on the gateway's real `ConnectionContext`, `SymbolFeed`s and
 * books (the same objects the service and the replay command use), publishing into a recorder.
 */
export function coinbaseHarness(
  adapter: CoinbaseAdapter,
  products: readonly string[],
  options: { channels?: Channel[]; rest?: RestClient; restUrl?: string } = {},
): Harness {
  const sink = new RecordingSink();
  const symbols: CarriedSymbol[] = products.map((p) => {
    const [base, quote] = p.split('-') as [string, string];
    return {
      symbol: p,
      native: p,
      channels: options.channels ?? ['trades', 'l1', 'l2'],
      instrument: { symbol: p, base, quote, priceDecimals: 2, sizeDecimals: 8 },
    };
  });
  const feeds = new Map(symbols.map((s) => [s.symbol, new SymbolFeed('coinbase', s, sink, NOOP_METRICS)]));
  const sent: string[] = [];
  const rotations: string[] = [];
  const settings = { ...adapter.defaults, restUrl: options.restUrl ?? 'http://rest.test' };
  const ctx = new ConnectionContext('coinbase', settings, options.rest ?? NO_REST, feeds, symbols, {
    send: (t) => sent.push(t),
    rotate: (r) => rotations.push(r),
    warn: () => undefined,
    metrics: NOOP_METRICS,
    bookOptions: { backoff: { initialDelayMs: 1, maxDelayMs: 1 } },
  });
  const session = adapter.openSession(ctx);
  return {
    session,
    ctx,
    sink,
    feeds,
    sent,
    rotations,
    frame: (f) => session.onFrame(typeof f === 'string' ? f : JSON.stringify(f), Date.now() * 1000),
  };
}
