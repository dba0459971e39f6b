import type { RestClient } from '../../rest/rest.types';
import { RecordedSymbols, sentObject } from '../recorded-symbols';
import type {
  CarriedSymbol,
  ConnectionPlan,
  RecordedSymbol,
  ResolvedSymbols,
  SessionContext,
  VenueAdapter,
  VenueLimits,
  VenueSession,
  VenueSettings,
} from '../venue-adapter';
import { bookDepthFor, type BybitCategory, categoryOf, parseInstruments, parseTopic } from './bybit.protocol';
import { BybitSession } from './bybit.session';

/** Spot accepts at most 10 args per subscribe request (Bybit v5 docs); linear uses the same size. */
export const BYBIT_ARGS_PER_REQUEST = 10;
const MAX_STREAMS = 200;

export interface BybitAdapterOptions {
  /** A requested WebSocket snapshot that has not arrived after this long is requested again (default 10 s). */
  snapshotTimeoutMs?: number;
  /** Resubscriptions asked for within this window leave together (default 20 ms). */
  resubscribeBatchMs?: number;
}

/**
 * Bybit v5 public, spot and linear perpetuals: `orderbook.<depth>` snapshot/delta with `u`
 * continuity (any snapshot replaces the book; `u=1` is a restart), `orderbook.1` for L1,
 * `publicTrade` (every trade of a batch), `tickers` merged (linear deltas); `{"op":"ping"}`.
 *
 * Linear perpetuals are carried when configured under their normalized `<BASE>PERP-<QUOTE>` name
 * (see `PERP_SUFFIX`); they live on `/v5/public/linear` (derived from the spot URL); each
 * connection carries one category only (`connectionGroup`).
 */
export class BybitAdapter implements VenueAdapter {
  readonly venue = 'bybit' as const;
  readonly defaults: VenueSettings = {
    wsUrl: 'wss://stream.bybit.com/v5/public/spot',
    restUrl: 'https://api.bybit.com',
    bookDepth: 200,
  };
  readonly limits: VenueLimits = {
    maxStreamsPerConnection: MAX_STREAMS,
    maxOutgoingPerSecond: 5,
    // 500 connections per 5 minutes per IP; keep a fifth in reserve.
    connectAttempts: { max: 400, windowMs: 5 * 60_000 },
    // "send the ping heartbeat packet every 20 seconds".
    keepaliveMs: 20_000,
    // 600 requests per 5 s per IP; the gateway asks for instruments and little else.
    restWeightPerMinute: 1200,
  };
  readonly snapshotTimeoutMs: number;
  readonly resubscribeBatchMs: number;

  constructor(options: BybitAdapterOptions = {}) {
    this.snapshotTimeoutMs = options.snapshotTimeoutMs ?? 10_000;
    this.resubscribeBatchMs = options.resubscribeBatchMs ?? 20;
  }

  async resolveSymbols(rest: RestClient, settings: VenueSettings, wanted: readonly string[]): Promise<ResolvedSymbols> {
    const byNormalized = new Map<string, Omit<CarriedSymbol, 'channels'>>();
    const categories = new Set(wanted.map(categoryOf));
    for (const category of (['spot', 'linear'] as const).filter((c) => categories.has(c))) {
      let cursor: string | undefined;
      for (let page = 0; page < 20; page++) {
        const query = `category=${category}${category === 'linear' ? '&limit=1000' : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const body = await rest.getJson({
          url: `${settings.restUrl}/v5/market/instruments-info?${query}`,
          weight: 1,
          purpose: 'instruments',
        });
        const parsed = parseInstruments(body, category);
        for (const i of parsed.list)
          byNormalized.set(i.instrument.symbol, { symbol: i.instrument.symbol, native: i.native, instrument: i.instrument });
        cursor = parsed.cursor;
        if (!cursor) break;
      }
    }
    const symbols: Omit<CarriedSymbol, 'channels'>[] = [];
    const unknown: string[] = [];
    for (const w of wanted) {
      const found = byNormalized.get(w);
      if (found) symbols.push(found);
      else unknown.push(w);
    }
    return { symbols, unknown };
  }

  streamsFor(symbol: CarriedSymbol): number {
    return symbol.channels.length;
  }

  /** Spot and linear are different endpoints: the core never puts them on one connection. */
  connectionGroup(symbol: CarriedSymbol): BybitCategory {
    return categoryOf(symbol.symbol);
  }

  /**
   * Topics of one symbol. L1: spot `orderbook.1` (spot tickers carry no best bid/ask); linear
   * `tickers` (snapshot, then deltas of the changed fields with `bid1Price`/`bid1Size`/`ask1Price`/
   * `ask1Size`, merged by the session) — one topic that also carries mark/index prices.
   */
  topics(symbol: CarriedSymbol, bookDepth: number): string[] {
    const linear = categoryOf(symbol.symbol) === 'linear';
    return symbol.channels.map((c) =>
      c === 'trades'
        ? `publicTrade.${symbol.native}`
        : c === 'l1'
          ? linear
            ? `tickers.${symbol.native}`
            : `orderbook.1.${symbol.native}`
          : `orderbook.${bookDepthFor(bookDepth)}.${symbol.native}`,
    );
  }

  connectionPlan(settings: VenueSettings, symbols: readonly CarriedSymbol[]): ConnectionPlan {
    const category: BybitCategory = symbols.some((s) => categoryOf(s.symbol) === 'linear') ? 'linear' : 'spot';
    const topics = symbols.filter((s) => categoryOf(s.symbol) === category).flatMap((s) => this.topics(s, settings.bookDepth));
    return { url: category === 'linear' ? linearUrl(settings.wsUrl) : settings.wsUrl, subscribe: requests('subscribe', topics) };
  }

  /** The frames that make Bybit push fresh snapshots of these topics. */
  resubscribeFrames(topics: readonly string[]): string[] {
    return [...requests('unsubscribe', topics), ...requests('subscribe', topics)];
  }

  openSession(ctx: SessionContext): VenueSession {
    return new BybitSession(ctx, this);
  }

  recordedSymbols(_url: string, sent: readonly string[]): RecordedSymbol[] {
    const out = new RecordedSymbols();
    for (const frame of sent) {
      const m = sentObject(frame);
      if (m?.['op'] !== 'subscribe' || !Array.isArray(m['args'])) continue;
      for (const a of m['args']) {
        const t = typeof a === 'string' ? parseTopic(a) : undefined;
        if (t)
          out.add(
            t.native,
            t.kind === 'publicTrade'
              ? 'trades'
              : t.kind === 'tickers'
                ? 'l1'
                : t.kind === 'orderbook'
                  ? t.depth === 1
                    ? 'l1'
                    : 'l2'
                  : undefined,
          );
      }
    }
    return out.list();
  }
}

/** `…/v5/public/spot` → `…/v5/public/linear`. */
export function linearUrl(spotUrl: string): string {
  const base = spotUrl.replace(/\/+$/, '');
  return /\/spot$/.test(base) ? base.replace(/\/spot$/, '/linear') : `${base}/linear`;
}

let reqId = 0;
function requests(op: 'subscribe' | 'unsubscribe', topics: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < topics.length; i += BYBIT_ARGS_PER_REQUEST) {
    out.push(JSON.stringify({ req_id: String(++reqId), op, args: topics.slice(i, i + BYBIT_ARGS_PER_REQUEST) }));
  }
  return out;
}
