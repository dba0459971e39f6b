import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

import { handleControl } from './control-api';
import { FaultEngine, type FaultSpec } from './faults';
import { GroundTruth } from './ground-truth';
import { type Instrument, instrument } from './market/instrument';
import { SyntheticMarket } from './market/market';
import { loadCapture, ReplayFeed, replaySource } from './replay';
import { BinanceVenue } from './venues/binance';
import { BINANCE_BOOK_DEPTH } from './venues/binance-options';
import { BybitVenue } from './venues/bybit';
import { CoinbaseVenue } from './venues/coinbase';
import { KrakenVenue } from './venues/kraken';
import { OkxVenue } from './venues/okx';
import {
  type ConnectionInfo,
  sendJson,
  type TrafficProfile,
  type Venue,
  VENUE_NAMES,
  type VenueDeps,
  type VenueName,
  type VenueOptions,
} from './venues/venue';

/** Where each venue's WebSocket feed and REST API live (the paths the real venues use). */
export const VENUE_PATHS: Record<VenueName, { ws: string; rest: string }> = {
  binance: { ws: '/ws', rest: '/api/v3' },
  coinbase: { ws: '/', rest: '/products' },
  kraken: { ws: '/v2', rest: '/0/public' },
  okx: { ws: '/ws/v5/public', rest: '/api/v5' },
  bybit: { ws: '/v5/public/spot', rest: '/v5/market' },
};

/** Book depth per side where a venue's real books are deeper than the market default (200 levels). */
const VENUE_BOOK_DEPTH: Partial<Record<VenueName, number>> = { binance: BINANCE_BOOK_DEPTH };

export const DEFAULT_PORTS: Record<VenueName | 'control', number> = {
  control: 9100,
  binance: 9101,
  coinbase: 9102,
  kraken: 9103,
  okx: 9104,
  bybit: 9105,
};

/** How far back (ms) a late generator tick still makes up the events it owes. */
const CATCH_UP_MS = 250;

export interface RateRule {
  venue?: VenueName;
  symbol?: string;
  /** Market events per second (each event yields one or more frames per subscribed channel). */
  rate: number;
}

export interface ReplaySpec {
  venue: VenueName;
  /** Capture files (fixtures format); REST responses recorded with them are served too. */
  files: string[];
  /** 1 = recorded pace, 10 = ten times faster, Infinity = as fast as possible. */
  speed?: number;
}

export interface SimulatorOptions {
  host?: string;
  /** Control API port (0 = any free port). */
  controlPort?: number;
  /** Per-venue ports (0 = any free port). */
  ports?: Partial<Record<VenueName, number>>;
  venues?: VenueName[];
  /** Normalized symbols served on every venue, e.g. BTC-USDT. */
  symbols?: string[];
  seed?: number;
  /** Default market events per second per venue and symbol. */
  rate?: number;
  rates?: RateRule[];
  venueOptions?: Partial<VenueOptions>;
  /** Framing of market events: `realistic` (default) or `per-event` (shorthand for venueOptions.profile). */
  profile?: TrafficProfile;
  /** Faults to arm; `atMs` delays arming from start (scenario files). */
  faults?: FaultSpec[];
  replay?: ReplaySpec[];
  /** Levels per book side. */
  maxLevels?: number;
  /** Scheduler resolution. */
  tickMs?: number;
}

interface MarketSlot {
  venue: VenueName;
  symbol: string;
  market: SyntheticMarket;
  rate: number;
  due: number;
  /** The venue that publishes this market's events (set once the venue exists). */
  venueRef: Venue;
}

export interface VenueEndpoint {
  ws: string;
  rest: string;
  port: number;
}

/**
 * The exchange simulator: one HTTP+WebSocket server per venue speaking its own protocol, a
 * deterministic synthetic market per venue and symbol at a controlled rate, scripted faults,
 * replay of recorded captures, and a control API with the ground truth of what was sent.
 */
export class Simulator {
  readonly faults = new FaultEngine();
  readonly truth = new GroundTruth();
  readonly instruments: Instrument[];
  readonly venues = new Map<VenueName, Venue>();
  readonly endpoints = {} as Record<VenueName, VenueEndpoint>;
  controlUrl = '';
  private readonly slots: MarketSlot[] = [];
  private readonly servers: Server[] = [];
  private readonly wss: WebSocketServer[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly replays = new Map<VenueName, { feed: ReplayFeed; http: Map<string, { t: number; body: string }[]> }>();
  private nextConnectionId = 1;
  private lastTick = Date.now();
  readonly startedAt = Date.now();
  eventsGenerated = 0;

  constructor(readonly options: SimulatorOptions = {}) {
    this.instruments = (options.symbols ?? ['BTC-USDT', 'ETH-USDT']).map(instrument);
  }

  get venueOptions(): VenueOptions {
    return {
      profile: 'realistic',
      pingIntervalMs: 20_000,
      connectionLifetimeMs: 24 * 3600_000,
      idleTimeoutMs: 30_000,
      maxConnections: 300,
      maxQueuedBytesPerConnection: 8 * 1024 * 1024,
      shutdownGraceMs: 1000,
      ...this.options.venueOptions,
      ...(this.options.profile ? { profile: this.options.profile } : {}),
    };
  }

  async start(): Promise<this> {
    const host = this.options.host ?? '127.0.0.1';
    const seed = this.options.seed ?? 1;
    for (const r of this.options.replay ?? []) {
      const capture = loadCapture(...r.files);
      const feed = new ReplayFeed(replaySource(r.venue, capture), r.speed ?? 1, {
        faults: this.faults,
        truth: this.truth,
        maxQueuedBytes: this.venueOptions.maxQueuedBytesPerConnection,
      });
      this.replays.set(r.venue, { feed, http: capture.http });
    }
    for (const name of this.options.venues ?? VENUE_NAMES) {
      const markets = new Map<string, SyntheticMarket>();
      const slots: Omit<MarketSlot, 'venueRef'>[] = [];
      for (const inst of this.instruments) {
        const market = new SyntheticMarket(inst, {
          seed: seed * 31 + VENUE_NAMES.indexOf(name),
          maxLevels: this.options.maxLevels ?? VENUE_BOOK_DEPTH[name],
        });
        markets.set(inst.symbol, market);
        slots.push({ venue: name, symbol: inst.symbol, market, rate: this.rateFor(name, inst.symbol), due: 0 });
      }
      const deps: VenueDeps = {
        markets,
        instruments: this.instruments,
        faults: this.faults,
        truth: this.truth,
        options: this.venueOptions,
      };
      const venue = this.createVenue(name, deps);
      this.venues.set(name, venue);
      for (const slot of slots) this.slots.push({ ...slot, venueRef: venue });
      const port = await this.listen(host, this.options.ports?.[name] ?? DEFAULT_PORTS[name], venue);
      const base = `${host}:${port}`;
      // A replayed venue is served at the capture's own path (Kraken v1 at `/`, Binance `/stream`).
      const wsPath = this.replays.get(name)?.feed.path ?? VENUE_PATHS[name].ws;
      this.endpoints[name] = { ws: `ws://${base}${wsPath}`, rest: `http://${base}`, port };
    }
    const control = createServer((req, res) => {
      handleControl(this, req, res).catch((err: Error) => sendJson(res, 500, { error: err.message }));
    });
    this.servers.push(control);
    await new Promise<void>((resolve, reject) => {
      control.once('error', reject);
      control.listen(this.options.controlPort ?? DEFAULT_PORTS.control, host, () => resolve());
    });
    this.controlUrl = `http://${host}:${(control.address() as AddressInfo).port}`;
    for (const f of this.options.faults ?? []) {
      if (f.atMs) this.timers.push(setTimeout(() => this.faults.arm(f), f.atMs));
      else this.faults.arm(f);
    }
    this.lastTick = Date.now();
    this.timers.push(setInterval(() => this.generate(), this.options.tickMs ?? 10));
    this.timers.push(
      setInterval(() => {
        const now = Date.now();
        for (const v of this.venues.values()) v.tick(now);
      }, 1000),
    );
    return this;
  }

  private createVenue(name: VenueName, deps: VenueDeps): Venue {
    switch (name) {
      case 'binance':
        return new BinanceVenue(deps);
      case 'coinbase':
        return new CoinbaseVenue(deps);
      case 'kraken':
        return new KrakenVenue(deps);
      case 'okx':
        return new OkxVenue(deps);
      case 'bybit':
        return new BybitVenue(deps);
    }
  }

  private rateFor(venue: VenueName, symbol: string): number {
    let rate = this.options.rate ?? 20;
    for (const r of this.options.rates ?? []) {
      if ((r.venue === undefined || r.venue === venue) && (r.symbol === undefined || r.symbol === symbol)) rate = r.rate;
    }
    return rate;
  }

  /** Changes the event rate of matching venue/symbol markets at run time; returns how many changed. */
  setRate(rule: RateRule): number {
    let n = 0;
    for (const s of this.slots) {
      if ((rule.venue === undefined || rule.venue === s.venue) && (rule.symbol === undefined || rule.symbol === s.symbol)) {
        s.rate = rule.rate;
        n++;
      }
    }
    return n;
  }

  rates(): { venue: VenueName; symbol: string; rate: number; seq: number; trades: number }[] {
    return this.slots.map((s) => ({ venue: s.venue, symbol: s.symbol, rate: s.rate, seq: s.market.seq, trades: s.market.tradeId }));
  }

  /** True when the venue serves a recorded capture instead of its synthetic market. */
  replaying(venue: VenueName): boolean {
    return this.replays.has(venue);
  }

  /** The synthetic market of one venue and symbol (its book is what `GET /api/book` renders). */
  market(venue: VenueName, symbol: string): SyntheticMarket {
    const slot = this.slots.find((s) => s.venue === venue && s.symbol === symbol);
    if (!slot) throw new Error(`no market for ${venue} ${symbol}`);
    return slot.market;
  }

  /** Runs `n` market events on one venue/symbol right now (deterministic tests). */
  step(venue: VenueName, symbol: string, n = 1): void {
    const slot = this.slots.find((s) => s.venue === venue && s.symbol === symbol);
    if (!slot) throw new Error(`no market for ${venue} ${symbol}`);
    for (let i = 0; i < n; i++) this.emit(slot);
  }

  private emit(slot: MarketSlot): void {
    const event = slot.market.step();
    this.eventsGenerated++;
    slot.venueRef.publish(slot.symbol, event, slot.market);
  }

  private generate(): void {
    const now = Date.now();
    const dt = Math.max(0, now - this.lastTick) / 1000;
    this.lastTick = now;
    const replaying = this.replays.size > 0;
    let behind = 0;
    // The markets never pause for clients: a client that cannot keep up is disconnected by its
    // venue once its queue passes venueOptions.maxQueuedBytesPerConnection (as real venues do).
    for (const slot of this.slots) {
      if (slot.rate <= 0 || (replaying && this.replays.has(slot.venue))) continue;
      // A late timer (a busy or starved process: 200 markets x 300 events/s is 600 events per
      // 10 ms tick) is caught up for up to CATCH_UP_MS; what lies further back is skipped and
      // counted (ground truth `eventsBehind`), so a stall does not turn into an endless burst.
      const due = slot.due + slot.rate * dt;
      const cap = Math.max(1, slot.rate * (CATCH_UP_MS / 1000));
      if (due > cap) behind += due - cap;
      slot.due = Math.min(due, cap);
      const n = Math.floor(slot.due);
      slot.due -= n;
      for (let i = 0; i < n; i++) this.emit(slot);
    }
    if (behind > 0) this.truth.behind(behind);
  }

  private async listen(host: string, port: number, venue: Venue): Promise<number> {
    const server = createServer((req, res) => this.onHttp(venue, req, res));
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    server.on('upgrade', (req, socket, head) => {
      const feed = this.replays.get(venue.name)?.feed;
      if (feed && !feed.accepts(new URL(req.url ?? '/', 'http://localhost').pathname)) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(venue, ws, req));
    });
    this.servers.push(server);
    this.wss.push(wss);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  private onHttp(venue: Venue, req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const replay = this.replays.get(venue.name);
    if (replay) {
      const recorded = replay.http.get(url.pathname + url.search);
      if (recorded?.length) {
        // Serve recorded responses in order; the last one repeats.
        const entry = recorded.length > 1 ? (recorded.shift() as { body: string }) : (recorded[0] as { body: string });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(entry.body);
        return;
      }
    }
    try {
      if (!venue.handleHttp(req, res, url)) sendJson(res, 404, { error: `no ${venue.name} endpoint ${url.pathname}` });
    } catch (err) {
      sendJson(res, 500, { error: (err as Error).message });
    }
  }

  private onConnection(venue: Venue, ws: WebSocket, req: IncomingMessage): void {
    const id = this.nextConnectionId++;
    const replay = this.replays.get(venue.name);
    if (replay) replay.feed.accept(ws, req, id);
    else venue.accept(ws, req, id);
  }

  connections(): ConnectionInfo[] {
    return [
      ...[...this.venues.values()].flatMap((v) => (this.replays.has(v.name) ? [] : v.connections())),
      ...[...this.replays.values()].flatMap((r) => r.feed.connections()),
    ];
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const r of this.replays.values()) r.feed.close();
    for (const v of this.venues.values()) v.close();
    for (const w of this.wss) w.close();
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.closeAllConnections();
            s.close(() => resolve());
          }),
      ),
    );
  }
}

/** Starts a simulator in-process (tests, benchmarks); `stop()` it when done. */
export function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  return new Simulator(options).start();
}
