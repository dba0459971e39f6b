import type { Venue } from '@cryptoscalp/messaging';

import { readFileSync } from 'node:fs';

import { ConnectionContext } from '../feeds/connection-context';
import { SymbolFeed } from '../feeds/symbol-feed';
import { NOOP_METRICS } from '../feeds/venue-metrics';
import { type RestClient, RestError, type RestRequest } from '../rest/rest.types';
import type { CarriedSymbol, VenueAdapter } from '../venues/venue-adapter';
import { adapterFor } from '../venues/venue-registry';
import {
  parseWsCapture,
  type RecordedConnection,
  type RecordedResponse,
  recordedResponsesBeside,
  venueOfFile,
  venueOfUrl,
} from './capture';
import { RecordingSink } from './replay-session';

/** The replay command's result (its last output line). */
export interface ReplayReport {
  venue: Venue;
  frames: number;
  trades: number;
  l1: number;
  l2Updates: number;
  snapshots: number;
  gaps: number;
  resyncs: number;
  checksumOk: number;
  checksumMismatch: number;
  parseErrors: number;
  skipped: number;
}

/**
 * Serves snapshot requests from recorded REST responses, on the replay's clock: a request gets
 * the first unused response with the same path and parameters (`limit` aside), delivered when the
 * replay reaches the time it was recorded.
 */
class RecordedRest implements RestClient {
  private readonly used = new Set<RecordedResponse>();
  private readonly waiting: { at: number; resolve: () => void }[] = [];

  constructor(
    private readonly responses: RecordedResponse[],
    private readonly clock: () => number,
  ) {}

  getJson<T>(request: RestRequest): Promise<T> {
    const key = requestKey(request.url);
    const found = this.responses.find((r) => !this.used.has(r) && requestKey(r.url) === key);
    if (!found) return Promise.reject(new RestError(404, request.url, `no recorded response for ${key}`));
    this.used.add(found);
    const body = JSON.parse(found.body) as T;
    if (found.t <= this.clock()) return Promise.resolve(body);
    return new Promise<T>((resolve) => this.waiting.push({ at: found.t, resolve: () => resolve(body) }));
  }

  /** Resolves the responses recorded at or before `t`; true when some were. */
  release(t: number): boolean {
    let any = false;
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const w = this.waiting[i] as { at: number; resolve: () => void };
      if (w.at <= t) {
        this.waiting.splice(i, 1);
        w.resolve();
        any = true;
      }
    }
    return any;
  }
}

function requestKey(url: string): string {
  const u = new URL(url);
  const params = [...u.searchParams].filter(([k]) => k !== 'limit').sort(([a], [b]) => a.localeCompare(b));
  return `${u.pathname}?${params.map(([k, v]) => `${k}=${v}`).join('&')}`;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

export interface ReplayResult {
  report: ReplayReport;
  sink: RecordingSink;
  /** The books at the end, by native symbol, best first. */
  feeds: Map<string, SymbolFeed>;
}

export interface ReplayOptions {
  /** Called after each frame is handled (tests look at books mid-stream). */
  afterFrame?(frame: { t: number; text: string }, feeds: Map<string, SymbolFeed>): void;
}

/**
 * Feeds a recorded capture through the same adapter, book and publishing code the service runs,
 * offline; snapshot requests are answered by the REST responses recorded beside the capture.
 */
export async function replayCapture(file: string, options: ReplayOptions = {}): Promise<ReplayResult> {
  const conns = parseWsCapture(readFileSync(file, 'utf8'));
  if (conns.length === 0) throw new Error(`${file}: no recorded connection`);
  // The URL names the venue for recordings of the real exchanges; a capture of a local endpoint
  // (GATEWAY_CAPTURE_DIR against the simulator) is named after it: `BINANCE.ws.1.0`.
  const venue = venueOfUrl((conns[0] as RecordedConnection).url) ?? venueOfFile(file);
  if (!venue) throw new Error(`${file}: cannot tell the venue from ${(conns[0] as RecordedConnection).url}`);
  const adapter: VenueAdapter | undefined = adapterFor(venue);
  if (!adapter) throw new Error(`${file}: venue ${venue} has no adapter yet`);

  let clock = 0;
  const rest = new RecordedRest(recordedResponsesBeside(file), () => clock);
  const sink = new RecordingSink();
  const feeds = new Map<string, SymbolFeed>();
  const report: ReplayReport = {
    venue,
    frames: 0,
    trades: 0,
    l1: 0,
    l2Updates: 0,
    snapshots: 0,
    gaps: 0,
    resyncs: 0,
    checksumOk: 0,
    checksumMismatch: 0,
    parseErrors: 0,
    skipped: 0,
  };
  const contexts: ConnectionContext[] = [];
  for (const conn of conns) {
    const symbols: CarriedSymbol[] = adapter.recordedSymbols(conn.url, conn.sent).map((r) => ({
      symbol: r.native,
      native: r.native,
      channels: r.channels,
      // Captures hold no instrument metadata; books keep decimal strings and do not need it.
      instrument: { symbol: r.native, base: r.native, quote: '', priceDecimals: 0, sizeDecimals: 0 },
    }));
    const byNormalized = new Map<string, SymbolFeed>();
    for (const s of symbols) {
      const feed = feeds.get(s.symbol) ?? new SymbolFeed(venue, s, sink, NOOP_METRICS);
      feeds.set(s.symbol, feed);
      byNormalized.set(s.symbol, feed);
    }
    // The recorded URL is the connection's: it names the protocol version (Kraken v1 `wss://ws.kraken.com` vs `/v2`).
    const settings = { ...adapter.defaults, wsUrl: conn.url, restUrl: restBase(conn, adapter.defaults.restUrl) };
    const ctx = new ConnectionContext(venue, settings, rest, byNormalized, symbols, {
      send: () => undefined,
      rotate: () => undefined,
      warn: () => undefined,
      metrics: NOOP_METRICS,
      bookOptions: { backoff: { initialDelayMs: 1, maxDelayMs: 1 } },
    });
    contexts.push(ctx);
    const session = adapter.openSession(ctx);
    clock = conn.openedAt;
    session.onOpen?.();
    for (const frame of conn.frames) {
      clock = frame.t;
      if (rest.release(frame.t)) await tick();
      report.frames++;
      session.onFrame(frame.text, Math.round(frame.t * 1e6));
      options.afterFrame?.(frame, feeds);
    }
    clock = Infinity;
    if (rest.release(Infinity)) await tick();
    session.onClose?.();
    report.parseErrors += ctx.parseErrors;
    report.skipped += ctx.skippedFrames;
  }
  for (const ctx of contexts) {
    for (const book of ctx.books.values()) {
      const c = book.counters;
      report.snapshots += c.snapshots;
      report.gaps += c.gaps;
      report.resyncs += c.resyncs;
      report.checksumOk += c.checksumOk;
      report.checksumMismatch += c.checksumMismatch;
    }
  }
  report.trades = sink.trades.length;
  report.l1 = sink.l1s.length;
  report.l2Updates = sink.l2s.filter((m) => !m.snapshot).length;
  return { report, sink, feeds };
}

/** Books are closed only after the report is read (so tests can inspect them). */
export function closeReplay(result: ReplayResult): void {
  for (const f of result.feeds.values()) f.book?.close();
}

function restBase(conn: RecordedConnection, fallback: string): string {
  return fallback || conn.url;
}
