import { WebSocket } from 'ws';

import type { FaultEngine } from '../faults';
import type { VenueName } from './venue';

/**
 * One client connection of a simulated venue. Every frame goes through `send`, where the armed
 * faults for this venue/connection/symbol apply: stall, duplicate, reorder, malformed, truncate.
 */
export class SimConnection {
  readonly subscriptions = new Set<string>();
  readonly openedAt = Date.now();
  lastReceived = Date.now();
  sent = 0;
  private stalledUntil = 0;
  private held: string | undefined;
  private corked = false;
  private readonly socket: { cork(): void; uncork(): void } | undefined;
  /** Venue-specific per-connection state (Kraken depth per symbol, Binance message budget…). */
  readonly state = new Map<string, unknown>();

  constructor(
    readonly id: number,
    readonly venue: VenueName,
    readonly ws: WebSocket,
    private readonly faults: FaultEngine,
  ) {
    this.socket = (ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
  }

  /**
   * Frames sent in the same turn of the event loop leave in one TCP write: cork the socket on
   * the first frame and uncork on the next tick (a burst of 100 frames costs one syscall).
   */
  private batch(): void {
    if (this.corked || !this.socket) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(() => {
      this.corked = false;
      this.socket?.uncork();
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a frame, applying faults. `symbol` scopes symbol-specific faults. Returns true if sent. */
  send(frame: string, symbol?: string): boolean {
    if (!this.open) return false;
    const now = Date.now();
    if (now < this.stalledUntil) return false;
    const target = { venue: this.venue, symbol, connection: this.id };
    const faults = this.faults;
    if (faults.any('stall', this.venue)) {
      const stall = faults.take('stall', target);
      if (stall) {
        this.stalledUntil = now + (stall.durationMs ?? 5000);
        return false;
      }
    }
    let out = frame;
    if (faults.any('malformed', this.venue) && faults.take('malformed', target)) out = `{"malformed":${frame.slice(0, 20)}`;
    else if (faults.any('truncate', this.venue) && faults.take('truncate', target)) out = frame.slice(0, Math.max(1, frame.length >> 1));
    if (faults.any('reorder', this.venue) && this.held === undefined && faults.take('reorder', target)) {
      this.held = out;
      return true;
    }
    this.batch();
    this.ws.send(out);
    this.sent++;
    if (this.held !== undefined) {
      const held = this.held;
      this.held = undefined;
      this.ws.send(held);
      this.sent++;
    }
    if (faults.any('duplicate', this.venue) && faults.take('duplicate', target)) {
      this.ws.send(out);
      this.sent++;
    }
    return true;
  }

  /** Abrupt drop: no close frame (like a network cut). */
  drop(): void {
    this.ws.terminate();
  }

  close(code = 1000, reason = ''): void {
    this.ws.close(code, reason);
  }
}
