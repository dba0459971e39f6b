import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';

import type { FaultEngine } from '../faults';
import type { GroundTruth } from '../ground-truth';
import type { Instrument } from '../market/instrument';
import type { MarketEvent, SyntheticMarket } from '../market/market';
import type { BybitOptions } from './bybit-options';
import type { OkxOptions } from './okx-options';

export const VENUE_NAMES = ['binance', 'coinbase', 'kraken', 'okx', 'bybit'] as const;
export type VenueName = (typeof VENUE_NAMES)[number];

/**
 * How venues frame market events: `realistic` (the default) batches on each venue's own cadence
 * (Binance depth every 100 ms, Coinbase level2_batch every 50 ms, Bybit 20/100–200 ms …) with
 * several trades or levels per frame as the venues send them; `per-event` sends one frame per
 * market event (stress runs, the throughput benchmark's second figure).
 */
export type TrafficProfile = 'realistic' | 'per-event';

export interface VenueOptions {
  /** Framing of market events (see TrafficProfile). */
  profile: TrafficProfile;
  /** Server ping interval (ms); 0 disables. */
  pingIntervalMs: number;
  /** Binance: connection lifetime before `serverShutdown` + close (24 h on the real venue). */
  connectionLifetimeMs: number;
  /** OKX: close connections to which nothing was pushed for this long (30 s on the real venue). */
  idleTimeoutMs: number;
  /** Max simultaneous connections per venue. */
  maxConnections: number;
  /** OKX v5 specifics (checksum, snapshot source, keepalives, limits); see okx-options.ts. */
  okx?: Partial<OkxOptions>;
  /** Bybit v5 specifics (level-1 repeat, unsolicited snapshots); see bybit-options.ts. */
  bybit?: Partial<BybitOptions>;
  /**
   * A connection with more than this many bytes queued (the client reads slower than the feed)
   * is disconnected as a slow consumer, as the real venues do; the other clients are unaffected.
   */
  maxQueuedBytesPerConnection: number;
  /** server_close: how long the venue keeps serving after its notice before it closes (1001). */
  shutdownGraceMs: number;
}

/** One open client connection as the control API lists it. */
export interface ConnectionInfo {
  id: number;
  venue: VenueName;
  subscriptions: string[];
  openedAt: number;
  sent: number;
  /** Bytes queued for the client right now (ws + socket buffers). */
  queuedBytes: number;
}

export interface VenueDeps {
  markets: Map<string, SyntheticMarket>;
  instruments: Instrument[];
  faults: FaultEngine;
  truth: GroundTruth;
  options: VenueOptions;
}

/** One simulated exchange: its REST endpoints and its WebSocket protocol. */
export interface Venue {
  readonly name: VenueName;
  /** Handles a REST request; returns false when the path is not this venue's. */
  handleHttp(req: IncomingMessage, res: ServerResponse, url: URL): boolean;
  /** A client connected over WebSocket. */
  accept(ws: WebSocket, req: IncomingMessage, connectionId: number): void;
  /** A market event happened on this venue's market for `symbol`. */
  publish(symbol: string, event: MarketEvent, market: SyntheticMarket): void;
  /** Called every second: heartbeats, tickers, lifetimes. */
  tick(now: number): void;
  /** Bytes queued for all clients of this venue (reporting only: the generator never pauses for clients). */
  backlog(): number;
  connections(): ConnectionInfo[];
  close(): void;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
