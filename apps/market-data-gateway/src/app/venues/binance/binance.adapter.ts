import { instrumentFromSteps } from '@cryptoscalp/market';

import type { BookHandle, BookOptions } from '../../books/book.types';
import type { RestClient } from '../../rest/rest.types';
import { RecordedSymbols } from '../recorded-symbols';
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
import {
  asBookTicker,
  asDepthEvent,
  asTradeEvent,
  binanceContinuity,
  depthWeight,
  parseDepthSnapshot,
  streamBase,
} from './binance.protocol';

/** Streams per SUBSCRIBE message (several messages are paced by the core). */
const STREAMS_PER_SUBSCRIBE = 100;

export interface BinanceAdapterOptions {
  /**
   * `trade` (default): one message per exchange trade, id `t` — exactly-once per trade downstream.
   * `aggTrade`: fills of one taker at one price merged, id `a` (published as `a<id>`). Both are parsed
   * (recorded captures carry `aggTrade`); only the chosen one is subscribed.
   */
  tradeStream?: 'trade' | 'aggTrade';
}

interface ExchangeInfoSymbol {
  symbol?: unknown;
  status?: unknown;
  baseAsset?: unknown;
  quoteAsset?: unknown;
  filters?: { filterType?: unknown; tickSize?: unknown; stepSize?: unknown }[];
}

/**
 * Binance spot: combined streams (`/stream` + SUBSCRIBE), `depth@100ms` diffs synced on the REST
 * snapshot per the documented procedure, `trade` (or `aggTrade`) for trades, `bookTicker` for L1.
 */
export class BinanceAdapter implements VenueAdapter {
  readonly venue = 'binance' as const;
  readonly defaults: VenueSettings = { wsUrl: 'wss://stream.binance.com:9443', restUrl: 'https://api.binance.com', bookDepth: 1000 };
  /** Binance's documented alternatives: the same streams on port 443, and the market-data-only host. */
  readonly fallbackWsUrls = ['wss://stream.binance.com:443', 'wss://data-stream.binance.vision'] as const;
  readonly limits: VenueLimits = {
    maxStreamsPerConnection: 1024,
    maxOutgoingPerSecond: 5,
    connectAttempts: { max: 300, windowMs: 5 * 60_000 },
    maxConnectionLifetimeMs: 24 * 3600_000,
    // Binance allows 6000 per minute per IP; keep a fifth for restarts and other processes.
    restWeightPerMinute: 4800,
  };
  private readonly tradeStream: 'trade' | 'aggTrade';

  constructor(options: BinanceAdapterOptions = {}) {
    this.tradeStream = options.tradeStream ?? 'trade';
  }

  async resolveSymbols(rest: RestClient, settings: VenueSettings, wanted: readonly string[]): Promise<ResolvedSymbols> {
    const body = await rest.getJson<{ symbols?: ExchangeInfoSymbol[] }>({
      url: `${settings.restUrl}/api/v3/exchangeInfo`,
      weight: 20,
      purpose: 'instruments',
    });
    const byNormalized = new Map<string, Omit<CarriedSymbol, 'channels'>>();
    for (const s of Array.isArray(body?.symbols) ? body.symbols : []) {
      if (typeof s.symbol !== 'string' || typeof s.baseAsset !== 'string' || typeof s.quoteAsset !== 'string') continue;
      if (s.status !== undefined && s.status !== 'TRADING') continue;
      const filters = Array.isArray(s.filters) ? s.filters : [];
      const tick = filters.find((f) => f.filterType === 'PRICE_FILTER')?.tickSize;
      const step = filters.find((f) => f.filterType === 'LOT_SIZE')?.stepSize;
      if (typeof tick !== 'string' || typeof step !== 'string') continue;
      try {
        const instrument = instrumentFromSteps(s.baseAsset, s.quoteAsset, tick, step);
        byNormalized.set(instrument.symbol, { symbol: instrument.symbol, native: s.symbol, instrument });
      } catch {
        // An asset name that is not a BASE-QUOTE token (rare): not carried.
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

  streamNames(symbol: CarriedSymbol): string[] {
    const lower = symbol.native.toLowerCase();
    return symbol.channels.map((c) =>
      c === 'trades' ? `${lower}@${this.tradeStream}` : c === 'l1' ? `${lower}@bookTicker` : `${lower}@depth@100ms`,
    );
  }

  connectionPlan(settings: VenueSettings, symbols: readonly CarriedSymbol[]): ConnectionPlan {
    const streams = symbols.flatMap((s) => this.streamNames(s));
    const subscribe: string[] = [];
    for (let i = 0; i < streams.length; i += STREAMS_PER_SUBSCRIBE) {
      subscribe.push(
        JSON.stringify({ method: 'SUBSCRIBE', params: streams.slice(i, i + STREAMS_PER_SUBSCRIBE), id: subscribe.length + 1 }),
      );
    }
    return { url: `${streamBase(settings.wsUrl)}/stream`, subscribe };
  }

  openSession(ctx: SessionContext): VenueSession {
    return new BinanceSession(ctx, this);
  }

  recordedSymbols(url: string, sent: readonly string[]): RecordedSymbol[] {
    const streams: string[] = [];
    const query = /[?&]streams=([^&\s]+)/.exec(url);
    if (query) streams.push(...decodeURIComponent(query[1] as string).split('/'));
    const raw = /\/ws\/([^?\s]+)/.exec(url);
    if (raw) streams.push(...(raw[1] as string).split('/'));
    for (const frame of sent) {
      try {
        const m = JSON.parse(frame) as { method?: unknown; params?: unknown };
        if (m.method === 'SUBSCRIBE' && Array.isArray(m.params))
          streams.push(...m.params.filter((p): p is string => typeof p === 'string'));
      } catch {
        // not a request
      }
    }
    const out = new RecordedSymbols();
    for (const s of streams) {
      const [sym, kind] = s.split('@');
      out.add(
        sym?.toUpperCase(),
        kind === 'depth' ? 'l2' : kind === 'bookTicker' ? 'l1' : kind === 'trade' || kind === 'aggTrade' ? 'trades' : undefined,
      );
    }
    return out.list();
  }
}

/** One connection's protocol handler: the hot path. */
class BinanceSession implements VenueSession {
  private readonly books = new Map<string, BookHandle>();

  constructor(
    private readonly ctx: SessionContext,
    private readonly adapter: BinanceAdapter,
  ) {}

  onFrame(text: string, recvUs: number): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text) as Record<string, unknown>;
    } catch {
      this.ctx.parseError(text, 'not JSON');
      return;
    }
    if (!msg || typeof msg !== 'object') return this.ctx.parseError(text, 'not an object');
    const data = (typeof msg['stream'] === 'string' ? msg['data'] : msg) as Record<string, unknown> | undefined;
    if (!data || typeof data !== 'object') return this.ctx.parseError(text, 'combined frame without data');
    const e = data['e'];
    if (e === 'depthUpdate') return this.depth(text, data, recvUs);
    if (e === 'trade' || e === 'aggTrade') return this.trade(text, data, e === 'aggTrade', recvUs);
    if (e === undefined && 'u' in data && 'b' in data && 'A' in data) return this.bookTicker(text, data, recvUs);
    if (e === 'serverShutdown') return this.ctx.rotate('serverShutdown');
    if ('result' in msg || 'id' in msg) return this.reply(text, msg);
    this.ctx.skipped();
  }

  private symbolOf(text: string, native: string) {
    const sym = this.ctx.byNative.get(native);
    if (!sym) this.ctx.skipped();
    return sym;
  }

  private depth(text: string, data: Record<string, unknown>, recvUs: number): void {
    const d = asDepthEvent(data);
    if (typeof d === 'string') return this.ctx.parseError(text, d);
    const sym = this.symbolOf(text, d.s);
    if (!sym) return;
    this.bookOf(sym).update({ first: d.U, last: d.u, bids: d.b, asks: d.a, ts: d.E, recvTs: recvUs });
  }

  private trade(text: string, data: Record<string, unknown>, agg: boolean, recvUs: number): void {
    const t = asTradeEvent(data, agg);
    if (typeof t === 'string') return this.ctx.parseError(text, t);
    const sym = this.symbolOf(text, t.s);
    if (!sym) return;
    // m: the buyer is the maker, so the taker sold.
    this.ctx.trade(sym, {
      id: agg ? `a${t.a}` : String(t.t),
      price: t.p,
      size: t.q,
      side: t.m ? 'sell' : 'buy',
      ts: t.T ?? t.E,
      recvTs: recvUs,
    });
  }

  private bookTicker(text: string, data: Record<string, unknown>, recvUs: number): void {
    const b = asBookTicker(data);
    if (typeof b === 'string') return this.ctx.parseError(text, b);
    const sym = this.symbolOf(text, b.s);
    if (!sym) return;
    // Spot bookTicker carries no event time: the receive time stands in.
    this.ctx.topOfBook(sym, { bidPx: b.b, bidSz: b.B, askPx: b.a, askSz: b.A, seq: b.u, ts: Math.floor(recvUs / 1000), recvTs: recvUs });
  }

  private reply(text: string, msg: Record<string, unknown>): void {
    if (msg['error'] !== undefined) {
      // A refused SUBSCRIBE: a fresh connection (make-before-break) subscribes again.
      this.ctx.parseError(text, 'request refused');
      this.ctx.rotate(`subscription refused: ${JSON.stringify(msg['error']).slice(0, 120)}`);
      return;
    }
    this.ctx.skipped();
  }

  private bookOf(sym: CarriedSymbol): BookHandle {
    let book = this.books.get(sym.native);
    if (!book) {
      const limit = this.ctx.settings.bookDepth;
      const ctx = this.ctx;
      const options: BookOptions = {
        continuity: binanceContinuity,
        requestSnapshot: async () => {
          const url = `${ctx.settings.restUrl}/api/v3/depth?symbol=${sym.native}&limit=${limit}`;
          const body = await ctx.rest.getJson({ url, weight: depthWeight(limit), purpose: 'snapshot' });
          const snap = parseDepthSnapshot(body, Date.now() * 1000);
          if (typeof snap === 'string') throw new Error(snap);
          return snap;
        },
      };
      book = ctx.book(sym, options);
      this.books.set(sym.native, book);
    }
    return book;
  }
}

/** Exposed for tests: the adapter's stream names. */
export function binanceStreams(adapter: BinanceAdapter, symbol: CarriedSymbol): string[] {
  return adapter.streamNames(symbol);
}
