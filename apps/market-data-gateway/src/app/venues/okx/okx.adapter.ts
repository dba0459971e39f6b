import { instrumentFromSteps } from '@cryptoscalp/market';

import type { RestClient } from '../../rest/rest.types';
import { RecordedSymbols, sentObject } from '../recorded-symbols';
import type {
  CarriedSymbol,
  Channel,
  ConnectionPlan,
  RecordedSymbol,
  ResolvedSymbols,
  SessionContext,
  VenueAdapter,
  VenueLimits,
  VenueSession,
  VenueSettings,
} from '../venue-adapter';
import { OKX_BOOK_CHANNELS, parseInstruments } from './okx.protocol';
import { OkxSession } from './okx.session';

/** Channel arguments per subscribe request (OKX caps a request at 64 KB; ~45 bytes an argument). */
export const OKX_ARGS_PER_REQUEST = 100;

export interface OkxAdapterOptions {
  /**
   * Where books start: `ws` (default) the snapshot OKX pushes on subscribe, `rest` the REST
   * snapshot with `seqId`. A session also switches to `rest` by itself when the venue pushes an
   * update before any snapshot, and back to `ws` when the REST answer carries no `seqId`.
   */
  snapshotSource?: 'ws' | 'rest';
  /** A requested WebSocket snapshot that has not arrived after this long is requested again (default 10 s). */
  snapshotTimeoutMs?: number;
  /** Resubscriptions asked for within this window leave as one unsubscribe + one subscribe (default 20 ms). */
  resubscribeBatchMs?: number;
}

const CHANNEL_OF: Record<Channel, string> = { trades: 'trades', l1: 'bbo-tbt', l2: 'books' };

/**
 * OKX v5 public: `books` (400 levels, `seqId`/`prevSeqId` continuity, checksum verified when non-zero),
 * `bbo-tbt` for L1, `trades`; text `ping` keepalive; 64008 notice → rotation.
 */
export class OkxAdapter implements VenueAdapter {
  readonly venue = 'okx' as const;
  readonly defaults: VenueSettings = {
    wsUrl: 'wss://ws.okx.com:8443/ws/v5/public',
    restUrl: 'https://www.okx.com',
    bookDepth: 400,
  };
  readonly limits: VenueLimits = {
    // 300 streams = 3 subscribe requests on open, leaving ~470 of the 480 per hour for resyncs.
    maxStreamsPerConnection: 300,
    // "3 requests per second" for subscriptions and new connections (per IP).
    maxOutgoingPerSecond: 3,
    connectAttempts: { max: 3, windowMs: 1_100 },
    // The venue closes connections without a push for 30 s; "ping" when quiet (see pingAfterMs).
    keepaliveMs: 5_000,
    // market/books: 40 requests per 2 s per IP; keep half.
    restWeightPerMinute: 600,
  };
  readonly snapshotSource: 'ws' | 'rest';
  readonly snapshotTimeoutMs: number;
  readonly resubscribeBatchMs: number;
  /** The session pings when nothing arrived for this long. */
  readonly pingAfterMs = 15_000;

  constructor(options: OkxAdapterOptions = {}) {
    this.snapshotSource = options.snapshotSource ?? 'ws';
    this.snapshotTimeoutMs = options.snapshotTimeoutMs ?? 10_000;
    this.resubscribeBatchMs = options.resubscribeBatchMs ?? 20;
  }

  async resolveSymbols(rest: RestClient, settings: VenueSettings, wanted: readonly string[]): Promise<ResolvedSymbols> {
    const body = await rest.getJson({
      url: `${settings.restUrl}/api/v5/public/instruments?instType=SPOT`,
      weight: 1,
      purpose: 'instruments',
    });
    const byNormalized = new Map<string, Omit<CarriedSymbol, 'channels'>>();
    for (const i of parseInstruments(body)) {
      try {
        const instrument = instrumentFromSteps(i.baseCcy, i.quoteCcy, i.tickSz, i.lotSz);
        byNormalized.set(instrument.symbol, { symbol: instrument.symbol, native: i.instId, instrument });
      } catch {
        // A currency that is not a BASE-QUOTE token, or an odd step: not carried.
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

  /** Subscribe requests the plan of these symbols sends. */
  requestsFor(symbols: readonly CarriedSymbol[]): number {
    return Math.ceil(symbols.reduce((n, s) => n + s.channels.length, 0) / OKX_ARGS_PER_REQUEST);
  }

  connectionPlan(settings: VenueSettings, symbols: readonly CarriedSymbol[]): ConnectionPlan {
    const args = symbols.flatMap((s) => s.channels.map((c) => ({ channel: CHANNEL_OF[c], instId: s.native })));
    return { url: settings.wsUrl, subscribe: requests('subscribe', args) };
  }

  /** The frames that make OKX push a fresh `books` snapshot of these instruments. */
  resubscribeFrames(natives: readonly string[]): string[] {
    const args = natives.map((instId) => ({ channel: 'books', instId }));
    return [...requests('unsubscribe', args), ...requests('subscribe', args)];
  }

  openSession(ctx: SessionContext): VenueSession {
    return new OkxSession(ctx, this);
  }

  recordedSymbols(_url: string, sent: readonly string[]): RecordedSymbol[] {
    const out = new RecordedSymbols();
    for (const frame of sent) {
      const m = sentObject(frame); // undefined for "ping"
      if (m?.['op'] !== 'subscribe' || !Array.isArray(m['args'])) continue;
      for (const a of m['args'] as { channel?: unknown; instId?: unknown }[]) {
        if (typeof a?.channel !== 'string') continue;
        out.add(
          a.instId,
          OKX_BOOK_CHANNELS.has(a.channel) ? 'l2' : a.channel === 'bbo-tbt' ? 'l1' : a.channel === 'trades' ? 'trades' : undefined,
        );
      }
    }
    return out.list();
  }
}

function requests(op: 'subscribe' | 'unsubscribe', args: { channel: string; instId: string }[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i += OKX_ARGS_PER_REQUEST)
    out.push(JSON.stringify({ op, args: args.slice(i, i + OKX_ARGS_PER_REQUEST) }));
  return out;
}
