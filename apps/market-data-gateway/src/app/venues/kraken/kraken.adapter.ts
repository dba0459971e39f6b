import type { RestClient } from '../../rest/rest.types';
import { RecordedSymbols, sentObject } from '../recorded-symbols';
import type {
  CarriedSymbol,
  Channel,
  ConnectionPlan,
  MetadataSocket,
  RecordedSymbol,
  ResolvedSymbols,
  SessionContext,
  VenueAdapter,
  VenueLimits,
  VenueSession,
  VenueSettings,
} from '../venue-adapter';
import { krakenDepth } from './kraken.protocol';
import { type KrakenProtocol, KrakenSession, REQ } from './kraken.session';
import { fetchAssetPairs, fetchInstrumentSnapshot, resolveKraken } from './kraken-instruments';

/** Symbols per subscribe request (Kraken acknowledges each symbol separately). */
const SYMBOLS_PER_SUBSCRIBE = 50;

/** v2 lives under `/v2` (`wss://ws.kraken.com/v2`); the bare host is v1. */
export function protocolOfUrl(url: string): KrakenProtocol {
  try {
    return /\/v2\/?$/.test(new URL(url).pathname) ? 'v2' : 'v1';
  } catch {
    return 'v2';
  }
}

/**
 * Kraken spot, WebSocket v2: `book` (snapshot + updates with the CRC32 of the top 10, truncated
 * to the subscribed depth), `trade`, `ticker` (`event_trigger: bbo`) for L1, `heartbeat`, `ping`,
 * `status` (maintenance → make-before-break rotation). WebSocket v1 frames are understood too, for
 * the recorded captures. Names and precision come from Kraken's metadata (kraken-instruments.ts).
 */
export class KrakenAdapter implements VenueAdapter {
  readonly venue = 'kraken' as const;
  readonly defaults: VenueSettings = { wsUrl: 'wss://ws.kraken.com/v2', restUrl: 'https://api.kraken.com', bookDepth: 100 };
  /**
   * Kraken publishes no fixed numbers for public market-data connections (its WebSocket message
   * rate limit is "dynamic", answered with `Exceeded msg rate`): these are conservative choices,
   * see README.md. 200 subscriptions per connection is the one documented per-connection figure
   * (level3: 200 symbols); 4 paced messages a second; 150 connection attempts per 10 minutes.
   */
  readonly limits: VenueLimits = {
    maxStreamsPerConnection: 200,
    maxOutgoingPerSecond: 5,
    connectAttempts: { max: 150, windowMs: 10 * 60_000 },
    keepaliveMs: 30_000,
    // Public REST: roughly one call a second per IP; AssetPairs is the only call (no REST snapshots).
    restWeightPerMinute: 60,
  };

  async resolveSymbols(
    rest: RestClient,
    settings: VenueSettings,
    wanted: readonly string[],
    meta?: MetadataSocket,
  ): Promise<ResolvedSymbols> {
    // The v2 instrument channel is read on a connection the core opens (attempt limiter, breaker).
    if (!meta) throw new Error('kraken reads its instrument metadata on a WebSocket: the core must pass a MetadataSocket');
    const [pairs, restPairs] = await Promise.all([fetchInstrumentSnapshot(meta, settings.wsUrl), fetchAssetPairs(rest, settings.restUrl)]);
    if (pairs.length === 0) throw new Error('kraken instrument snapshot lists no pairs');
    return resolveKraken(pairs, restPairs, wanted);
  }

  streamsFor(symbol: CarriedSymbol): number {
    return symbol.channels.length;
  }

  connectionPlan(settings: VenueSettings, symbols: readonly CarriedSymbol[]): ConnectionPlan {
    const depth = krakenDepth(settings.bookDepth);
    const subscribe: string[] = [];
    const add = (channel: string, req: number, natives: string[], extra: Record<string, unknown>) => {
      for (let i = 0; i < natives.length; i += SYMBOLS_PER_SUBSCRIBE)
        subscribe.push(
          JSON.stringify({
            method: 'subscribe',
            params: { channel, symbol: natives.slice(i, i + SYMBOLS_PER_SUBSCRIBE), ...extra },
            req_id: req,
          }),
        );
    };
    const of = (c: Channel) => symbols.filter((s) => s.channels.includes(c)).map((s) => s.native);
    add('book', REQ.book, of('l2'), { depth, snapshot: true });
    add('trade', REQ.trade, of('trades'), { snapshot: true });
    add('ticker', REQ.ticker, of('l1'), { event_trigger: 'bbo', snapshot: true });
    subscribe.push(JSON.stringify({ method: 'subscribe', params: { channel: 'heartbeat' }, req_id: REQ.heartbeat }));
    return { url: settings.wsUrl, subscribe };
  }

  openSession(ctx: SessionContext): VenueSession {
    return new KrakenSession(ctx, { protocol: protocolOfUrl(ctx.settings.wsUrl), depth: krakenDepth(ctx.settings.bookDepth) });
  }

  recordedSymbols(_url: string, sent: readonly string[]): RecordedSymbol[] {
    const out = new RecordedSymbols();
    const add = (natives: unknown, name: unknown) => {
      const channel: Channel | undefined = name === 'book' ? 'l2' : name === 'trade' ? 'trades' : name === 'ticker' ? 'l1' : undefined;
      if (Array.isArray(natives)) for (const n of natives) out.add(n, channel);
    };
    for (const frame of sent) {
      const m = sentObject(frame) as
        | { event?: unknown; pair?: unknown; subscription?: { name?: unknown }; method?: unknown; params?: { channel?: unknown; symbol?: unknown } }
        | undefined;
      if (!m) continue;
      if (m.event === 'subscribe') add(m.pair, m.subscription?.name); // v1
      if (m.method === 'subscribe') add(m.params?.symbol, m.params?.channel); // v2
    }
    return out.list();
  }
}
