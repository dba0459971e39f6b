import { instrumentFromSteps } from '@cryptoscalp/market';

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
import { type CoinbaseChannel, type CoinbaseCredentials, type ProductInfo, subscribeMessage } from './coinbase.protocol';
import { CoinbaseSession } from './coinbase.session';
import { type AuditStats, emptyAuditStats } from './coinbase-audit';
import {
  BACKFILL_DEFAULTS,
  type BackfillStats,
  type CoinbaseBackfillOptions,
  emptyBackfillStats,
  TradeBackfill,
} from './coinbase-backfill';

export interface CoinbaseAuditOptions {
  /** Each book is audited about this often (default 60 s; requests are spread over the interval). */
  intervalMs: number;
  /** Shortest time between two audit requests of one connection (default 500 ms). */
  minSpacingMs: number;
  /** How long after the REST answer the stream may still deliver changes the venue made before answering (default 1 s). */
  graceMs: number;
  /** `/products/<id>/book?level=`: 1 (best bid and ask, default) or 2 (aggregated book: deeper check, heavier). */
  level: 1 | 2;
  /** Mismatching audits in a row before the symbol is resynced (default 2). */
  confirmations: number;
}

export interface CoinbaseAdapterOptions {
  /** Use the authenticated `level2` channel (every update) instead of the public 50 ms `level2_batch`. */
  credentials?: CoinbaseCredentials;
  /** The periodic REST audit of the books (`false`: off). */
  audit?: Partial<CoinbaseAuditOptions> | false;
  /** A resubscribe that brings no snapshot within this time is retried by the book with backoff (default 10 s). */
  snapshotTimeoutMs?: number;
  /** Shortest time between two resubscribe batches of one connection (default 250 ms). */
  resubscribeSpacingMs?: number;
  /** Holes in the trade ids filled from REST `GET /products/<id>/trades` (`false`: off). */
  backfill?: Partial<CoinbaseBackfillOptions> | false;
}

/** What the adapter counted over all its connections (exposed for tests and, later, metrics). */
export interface CoinbaseStats {
  audit: AuditStats;
  /** Holes in the trade ids confirmed by heartbeats. */
  tradeGaps: number;
  lostTrades: number;
  /** Missing trade ids explained by a `match` that arrived unreadable (backfilled, no resync). */
  unreadableTrades: number;
  /** Trades fetched over REST for holes in the ids (all connections). */
  backfill: BackfillStats;
}

/**
 * Coinbase Exchange (`wss://ws-feed.exchange.coinbase.com`): `level2_batch` (public) or `level2`
 * (signed subscribe, when credentials are configured) for books, `matches` for trades,
 * `ticker` for L1, `heartbeat` for the trade-id check. Books come from the feed's `snapshot` on
 * every (re)subscribe; `l2update` carries no sequence, so integrity rests on the connection, on
 * the contiguous trade ids (`match`, heartbeat `last_trade_id`), and on a periodic REST audit of
 * the books. See README.md in this folder.
 */
export class CoinbaseAdapter implements VenueAdapter {
  readonly venue = 'coinbase' as const;
  readonly defaults: VenueSettings = {
    wsUrl: 'wss://ws-feed.exchange.coinbase.com',
    restUrl: 'https://api.exchange.coinbase.com',
    // The feed's snapshot is the full book; the setting is not used by the protocol.
    bookDepth: 1000,
  };
  /**
   * Coinbase Exchange WebSocket rate limits: 8 connection requests per second per IP (bursts of
   * 20), 100 client messages per second per IP. Subscriptions per connection are not limited by
   * the venue (only 10 per product and channel per account); 200 channel × product streams per
   * connection keeps snapshots on subscribe and reconnects small. Public REST: 10 requests per
   * second per IP; the audits use a quarter of it.
   */
  readonly limits: VenueLimits = {
    maxStreamsPerConnection: 200,
    maxOutgoingPerSecond: 10,
    connectAttempts: { max: 8, windowMs: 1000 },
    restWeightPerMinute: 150,
    // Public REST: 10 requests per second per IP (bursts of 15): never more than that per second.
    restRequestsPerSecond: 10,
  };
  readonly stats: CoinbaseStats;
  readonly auditOptions: CoinbaseAuditOptions | undefined;
  /** Shared by every connection: a hole may open across a reconnect. */
  backfill: TradeBackfill | undefined;
  readonly snapshotTimeoutMs: number;
  readonly resubscribeSpacingMs: number;
  private credentials: CoinbaseCredentials | undefined;
  private authRefused = false;

  constructor(options: CoinbaseAdapterOptions = {}) {
    this.credentials = options.credentials;
    this.auditOptions =
      options.audit === false
        ? undefined
        : { intervalMs: 60_000, minSpacingMs: 500, graceMs: 1000, level: 1, confirmations: 2, ...options.audit };
    this.snapshotTimeoutMs = options.snapshotTimeoutMs ?? 10_000;
    this.resubscribeSpacingMs = options.resubscribeSpacingMs ?? 250;
    this.backfill = options.backfill === false ? undefined : new TradeBackfill({ ...BACKFILL_DEFAULTS, ...options.backfill });
    this.stats = {
      audit: emptyAuditStats(),
      tradeGaps: 0,
      lostTrades: 0,
      unreadableTrades: 0,
      backfill: this.backfill?.stats ?? emptyBackfillStats(),
    };
  }

  /**
   * The core hands over the validated settings: credentials from `COINBASE_API_KEY` / `_SECRET` /
   * `_PASSPHRASE` (or their `_FILE` forms) and `COINBASE_BACKFILL_MAX_TRADES` / `_DELAY_MS` reach
   * the adapter here.
   */
  configure(settings: VenueSettings): void {
    if (settings.credentials) this.credentials = settings.credentials;
    const b = settings.tradeBackfill;
    if (b) {
      // Before any session exists (the core configures first): the tracker is replaced, not tuned.
      this.backfill =
        b.maxTrades === 0
          ? undefined
          : new TradeBackfill({ ...(this.backfill?.options ?? BACKFILL_DEFAULTS), maxTradesPerHole: b.maxTrades, delayMs: b.delayMs });
      this.stats.backfill = this.backfill?.stats ?? emptyBackfillStats();
    }
  }

  /** Audit, trade-id and backfill counters over every connection (`GET /v1/feeds` `adapter`, `cs_gateway_adapter_counter`). */
  counters(): Record<string, number> {
    const out: Record<string, number> = {
      tradeGaps: this.stats.tradeGaps,
      lostTrades: this.stats.lostTrades,
      unreadableTrades: this.stats.unreadableTrades,
    };
    for (const [k, v] of Object.entries(this.stats.audit)) if (typeof v === 'number') out[`audit_${k}`] = v;
    for (const [k, v] of Object.entries(this.stats.backfill)) out[`backfill_${k}`] = v;
    out['level2Authenticated'] = this.usesLevel2 ? 1 : 0;
    return out;
  }

  /** True while books come from the authenticated `level2` channel. */
  get usesLevel2(): boolean {
    return this.credentials !== undefined && !this.authRefused;
  }

  get bookChannel(): CoinbaseChannel {
    return this.usesLevel2 ? 'level2' : 'level2_batch';
  }

  /** Credentials for a subscribe, when the book channel needs them. */
  get subscribeCredentials(): CoinbaseCredentials | undefined {
    return this.usesLevel2 ? this.credentials : undefined;
  }

  /** The venue refused the signed subscribe: every connection falls back to `level2_batch`. */
  authenticationRefused(): void {
    this.authRefused = true;
  }

  async resolveSymbols(rest: RestClient, settings: VenueSettings, wanted: readonly string[]): Promise<ResolvedSymbols> {
    const body = await rest.getJson<unknown>({ url: `${settings.restUrl}/products`, weight: 1, purpose: 'instruments' });
    const byNormalized = new Map<string, Omit<CarriedSymbol, 'channels'>>();
    for (const p of Array.isArray(body) ? (body as ProductInfo[]) : []) {
      const { id, base_currency, quote_currency, quote_increment, base_increment, status } = p ?? {};
      if (typeof id !== 'string' || typeof base_currency !== 'string' || typeof quote_currency !== 'string') continue;
      if (typeof quote_increment !== 'string' || typeof base_increment !== 'string') continue;
      if (typeof status === 'string' && status !== 'online') continue;
      try {
        const instrument = instrumentFromSteps(base_currency, quote_currency, quote_increment, base_increment);
        byNormalized.set(instrument.symbol, { symbol: instrument.symbol, native: id, instrument });
      } catch {
        // A currency code that is not a BASE-QUOTE token, or an unusable increment: not carried.
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

  channelsOf(symbol: Pick<CarriedSymbol, 'channels'>): CoinbaseChannel[] {
    const out: CoinbaseChannel[] = [];
    if (symbol.channels.includes('l2')) out.push(this.bookChannel);
    if (symbol.channels.includes('trades')) out.push('matches', 'heartbeat');
    if (symbol.channels.includes('l1')) out.push('ticker');
    return out;
  }

  streamsFor(symbol: CarriedSymbol): number {
    return this.channelsOf(symbol).length;
  }

  /** One subscribe message for the whole connection: it leaves first, well inside the venue's 5 s deadline. */
  connectionPlan(settings: VenueSettings, symbols: readonly CarriedSymbol[]): ConnectionPlan {
    const byChannel = new Map<CoinbaseChannel, string[]>();
    for (const s of symbols) {
      for (const c of this.channelsOf(s)) byChannel.set(c, [...(byChannel.get(c) ?? []), s.native]);
    }
    const channels = [...byChannel].map(([name, product_ids]) => ({ name, product_ids }));
    return { url: settings.wsUrl, subscribe: channels.length ? [subscribeMessage('subscribe', channels, this.subscribeCredentials)] : [] };
  }

  openSession(ctx: SessionContext): VenueSession {
    return new CoinbaseSession(ctx, this);
  }

  recordedSymbols(_url: string, sent: readonly string[]): RecordedSymbol[] {
    const out = new RecordedSymbols();
    const add = (product: unknown, name: unknown) =>
      out.add(
        product,
        name === 'level2' || name === 'level2_batch' ? 'l2' : name === 'matches' ? 'trades' : name === 'ticker' ? 'l1' : undefined,
      );
    for (const frame of sent) {
      const m = sentObject(frame);
      if (m?.['type'] !== 'subscribe' || !Array.isArray(m['channels'])) continue;
      const products = Array.isArray(m['product_ids']) ? m['product_ids'] : [];
      for (const c of m['channels'] as unknown[]) {
        if (typeof c === 'string') for (const p of products) add(p, c);
        else if (c && typeof c === 'object') {
          const o = c as { name?: unknown; product_ids?: unknown };
          for (const p of Array.isArray(o.product_ids) ? o.product_ids : products) add(p, o.name);
        }
      }
    }
    return out.list();
  }
}
