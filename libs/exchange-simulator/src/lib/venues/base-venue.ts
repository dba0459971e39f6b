import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';

import { type Instrument, nativeSymbol } from '../market/instrument';
import type { MarketEvent, SyntheticMarket } from '../market/market';
import { withRestFaults } from './rest-faults';
import { SimConnection, SLOW_CLOSE_GRACE_MS } from './sim-connection';
import { type ConnectionInfo, sendJson, type Venue, type VenueDeps, type VenueName } from './venue';

/**
 * Connection bookkeeping shared by the five venues: subscription index, fan-out with one
 * encoding per frame, server pings, connection limits, slow-consumer disconnects, and the
 * connection-level faults (drop, server_close, connection_limit). Venues implement only their
 * protocol.
 *
 * Hooks a venue may override: `serverCloseNotice` (its maintenance notice; the `close` it calls
 * is deferred by `shutdownGraceMs()`), `shutdownGraceMs()`, `slowConsumerClose()` (close code
 * and reason for a client that reads too slowly), `ping`. Venues whose frames carry several
 * trades report their ids with `tradesWentOut` (one trade per frame is counted automatically).
 */
export abstract class BaseVenue implements Venue {
  abstract readonly name: VenueName;
  protected readonly conns = new Map<number, SimConnection>();
  /** channel key → subscribed connections */
  protected readonly index = new Map<string, Set<SimConnection>>();
  private readonly byNative = new Map<string, Instrument>();

  constructor(protected readonly deps: VenueDeps) {}

  /** Instrument by the venue's own symbol name (case-insensitive). */
  protected instrumentOf(native: string): Instrument | undefined {
    if (this.byNative.size === 0) for (const i of this.deps.instruments) this.byNative.set(nativeSymbol(this.name, i).toUpperCase(), i);
    return this.byNative.get(native.toUpperCase());
  }

  protected native(inst: Instrument): string {
    return nativeSymbol(this.name, inst);
  }

  abstract handleHttp(req: IncomingMessage, res: ServerResponse, url: URL): boolean;
  /** Protocol: a client frame. */
  protected abstract onMessage(conn: SimConnection, text: string, req: IncomingMessage): void;
  /** Protocol: a new connection was accepted (send greetings, subscribe from the URL…). */
  protected onOpen(_conn: SimConnection, _req: IncomingMessage): void {
    /* optional */
  }
  /**
   * Protocol: the venue's maintenance notice before a server-initiated close: send the notice,
   * then `conn.close(1001, …)`. Called through `serverClose`, which defers that close by
   * `shutdownGraceMs()` so the client keeps receiving data in between, as on the real venues.
   */
  protected abstract serverCloseNotice(conn: SimConnection): void;

  /** How long the venue keeps serving between its shutdown notice and the close. */
  protected shutdownGraceMs(): number {
    return this.deps.options.shutdownGraceMs;
  }

  /** Close code and reason for a client disconnected because it reads slower than the feed. */
  protected slowConsumerClose(): { code: number; reason: string } {
    return { code: 1008, reason: 'slow consumer: too much data queued' };
  }

  /** A server-initiated close with the venue's notice and grace period (server_close fault, lifetimes). */
  protected serverClose(conn: SimConnection): void {
    if (conn.shuttingDown) return;
    conn.deferClose(this.shutdownGraceMs(), () => this.serverCloseNotice(conn));
  }
  abstract publish(symbol: string, event: MarketEvent, market: SyntheticMarket): void;

  accept(ws: WebSocket, req: IncomingMessage, connectionId: number): void {
    if (
      this.conns.size >= this.deps.options.maxConnections ||
      this.deps.faults.take('connection_limit', { venue: this.name, connection: connectionId })
    ) {
      ws.close(1008, 'connection limit exceeded');
      return;
    }
    const conn = new SimConnection(connectionId, this.name, ws, this.deps.faults, {
      maxQueuedBytes: this.deps.options.maxQueuedBytesPerConnection,
      onSlow: (c, queued) => this.disconnectSlow(c, queued),
    });
    this.conns.set(connectionId, conn);
    ws.on('message', (data: Buffer) => {
      conn.lastReceived = Date.now();
      this.onMessage(conn, data.toString(), req);
    });
    ws.on('pong', () => (conn.lastReceived = Date.now()));
    ws.on('close', () => this.forget(conn));
    ws.on('error', () => this.forget(conn));
    this.onOpen(conn, req);
  }

  /**
   * A client whose queued bytes passed the per-connection limit: the venue closes it (and
   * destroys the socket if the client does not even read the close frame) and keeps serving
   * everyone else. Counted in the ground truth.
   */
  private disconnectSlow(conn: SimConnection, queuedBytes: number): void {
    const { code, reason } = this.slowConsumerClose();
    this.deps.truth.disconnected({ id: conn.id, venue: this.name, reason: 'slow_consumer', queuedBytes, at: Date.now() });
    this.forget(conn);
    conn.closeThenTerminate(code, reason, SLOW_CLOSE_GRACE_MS);
  }

  protected forget(conn: SimConnection): void {
    this.conns.delete(conn.id);
    for (const key of conn.subscriptions) this.unsubscribe(conn, key);
  }

  protected subscribe(conn: SimConnection, key: string): void {
    conn.subscriptions.add(key);
    let set = this.index.get(key);
    if (!set) this.index.set(key, (set = new Set()));
    set.add(conn);
  }

  protected unsubscribe(conn: SimConnection, key: string): void {
    conn.subscriptions.delete(key);
    this.index.get(key)?.delete(conn);
  }

  protected subscribers(key: string): Set<SimConnection> | undefined {
    const set = this.index.get(key);
    return set && set.size > 0 ? set : undefined;
  }

  /**
   * Sends one frame to every subscriber of `key`, encoding it once (lazily, stamped at send
   * time). Counts what was sent in the ground truth.
   */
  protected broadcast(key: string, symbol: string, kind: string, encode: () => string): number {
    const subs = this.subscribers(key);
    if (!subs) return 0;
    const n = this.sendTo(subs, symbol, encode());
    if (n) this.deps.truth.sent(this.name, symbol, kind, n);
    return n;
  }

  /**
   * Sends an encoded frame to the given subscribers (connection faults applied); returns how many
   * got it. The caller counts it in the ground truth (the per-event path of a venue).
   */
  protected sendTo(subs: Set<SimConnection>, symbol: string, frame: string): number {
    let n = 0;
    for (const conn of subs) {
      if (this.connectionFaults(conn, symbol)) continue;
      if (conn.send(frame, symbol)) n++;
    }
    return n;
  }

  /** These trade ids went out on at least one connection (for frames that carry several trades). */
  protected tradesWentOut(symbol: string, ids: Iterable<number>): void {
    this.deps.truth.tradesSent(this.name, symbol, ids);
  }

  /** Earlier trades that went out again to a new subscriber (trade snapshots, `last_match`). */
  protected tradesReplayedOut(symbol: string, ids: Iterable<number>): void {
    this.deps.truth.tradesReplayed(this.name, symbol, ids);
  }

  /** Sends one frame to one connection (acks, snapshots), counted in the ground truth when it carries data. */
  protected unicast(conn: SimConnection, frame: string, symbol?: string, kind?: string): void {
    if (conn.send(frame, symbol) && symbol && kind) this.deps.truth.sent(this.name, symbol, kind);
  }

  /** Applies drop / server_close to a connection; true when the connection is gone. */
  private connectionFaults(conn: SimConnection, symbol?: string): boolean {
    const f = this.deps.faults;
    if (f.armed === 0) return false;
    const target = { venue: this.name, symbol, connection: conn.id };
    if (f.any('drop', this.name) && f.take('drop', target)) {
      conn.drop();
      this.forget(conn);
      return true;
    }
    if (!conn.shuttingDown && f.any('server_close', this.name) && f.take('server_close', target)) {
      // The notice goes out now; data keeps flowing until the close after the grace period.
      this.serverClose(conn);
    }
    return false;
  }

  tick(now: number): void {
    const { pingIntervalMs } = this.deps.options;
    for (const conn of this.conns.values()) {
      if (this.connectionFaults(conn) || conn.stalled) continue;
      if (pingIntervalMs > 0 && now - ((conn.state.get('lastPing') as number | undefined) ?? conn.openedAt) >= pingIntervalMs) {
        conn.state.set('lastPing', now);
        this.ping(conn);
      }
    }
  }

  /** Server keepalive; WebSocket ping frames by default. */
  protected ping(conn: SimConnection): void {
    conn.ping();
  }

  backlog(): number {
    let bytes = 0;
    for (const c of this.conns.values()) bytes += c.queuedBytes;
    return bytes;
  }

  connections(): ConnectionInfo[] {
    return [...this.conns.values()].map((c) => ({
      id: c.id,
      venue: this.name,
      subscriptions: [...c.subscriptions],
      openedAt: c.openedAt,
      sent: c.sent,
      queuedBytes: c.queuedBytes,
    }));
  }

  close(): void {
    for (const c of this.conns.values()) c.drop();
    this.conns.clear();
    this.index.clear();
  }

  /**
   * A REST book snapshot with the REST faults applied (429/418/slow): `render` builds the body
   * from the venue's market for the instrument; `errorBody` renders the venue's rate-limit error.
   */
  protected serveSnapshot(
    res: ServerResponse,
    inst: Instrument,
    errorBody: (status: number) => unknown,
    render: (market: SyntheticMarket) => unknown,
    headers: Record<string, string> = {},
  ): void {
    withRestFaults(
      this.deps.faults,
      this.name,
      inst.symbol,
      res,
      () => {
        sendJson(res, 200, render(this.deps.markets.get(inst.symbol) as SyntheticMarket), headers);
        this.deps.truth.sent(this.name, inst.symbol, 'rest_snapshot');
      },
      errorBody,
    );
  }

  /**
   * Book sequence bookkeeping for one event: consumes a `gap` fault (the update is then not
   * sent and its sequence is reported as skipped). Returns true when the update must be skipped.
   */
  protected skipForGap(symbol: string, event: MarketEvent): boolean {
    const gap = this.deps.faults.any('gap', this.name) && this.deps.faults.take('gap', { venue: this.name, symbol }) !== undefined;
    if (gap) this.deps.truth.skipped(this.name, symbol, event.seq, event.seq);
    else this.deps.truth.seq(this.name, symbol, event.seq);
    return gap;
  }

  /** Consumes a `bad_checksum` fault for the symbol, if one is armed. */
  protected corruptChecksum(symbol: string): boolean {
    return (
      this.deps.faults.any('bad_checksum', this.name) && this.deps.faults.take('bad_checksum', { venue: this.name, symbol }) !== undefined
    );
  }

  /** True when the event changed the best bid or ask (top-of-book feeds publish then). */
  protected touchesTop(event: MarketEvent, market: SyntheticMarket): boolean {
    return event.changes.some((c) => {
      const best = market.book.best(c.side);
      return !best || (c.side === 'bid' ? c.px >= best.px : c.px <= best.px);
    });
  }

  /** Parses a client frame; on bad JSON returns undefined (the venue answers with its error). */
  protected parse(text: string): Record<string, unknown> | undefined {
    try {
      const v: unknown = JSON.parse(text);
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
}
