import { WebSocket } from 'ws';

import type { FaultEngine } from '../faults';
import type { VenueName } from './venue';

/** A held `reorder` frame goes out alone if no other frame follows within this time. */
export const REORDER_WAIT_MS = 1000;
/** After a slow-consumer close frame, the socket is destroyed if the client has not read it by then. */
export const SLOW_CLOSE_GRACE_MS = 2000;

export interface SimConnectionLimits {
  /** Bytes queued for the client above which `onSlow` is called once (0 or Infinity: no limit). */
  maxQueuedBytes: number;
  /** The client reads slower than the feed: the venue disconnects it. */
  onSlow: (conn: SimConnection, queuedBytes: number) => void;
}

/**
 * One client connection of a simulated venue. Every frame goes through `send`, where the armed
 * faults for this venue/connection/symbol apply: stall (frames queued and sent late, in order),
 * duplicate, reorder (a held frame is never lost), malformed, truncate. A connection whose
 * queued bytes pass the per-connection limit is reported as a slow consumer.
 */
export class SimConnection {
  readonly subscriptions = new Set<string>();
  readonly openedAt = Date.now();
  lastReceived = Date.now();
  sent = 0;
  /** Set once a server-initiated close (server_close, slow consumer…) has started. */
  shuttingDown = false;
  private closed = false;
  private stallQueue: string[] | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private held: string | undefined;
  private heldTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  /** While a venue's shutdown notice runs, its `close()` is deferred by this many ms. */
  private deferCloseMs: number | undefined;
  /** Frames written in this turn of the event loop, sent together on the next tick. */
  private pending: string[] = [];
  /** Characters in `pending` (≈ bytes: the feeds are ASCII JSON). */
  private pendingChars = 0;
  private readonly socket: RawSocket | undefined;
  /** Venue-specific per-connection state (Kraken depth per symbol, Binance message budget…). */
  readonly state = new Map<string, unknown>();

  constructor(
    readonly id: number,
    readonly venue: VenueName,
    readonly ws: WebSocket,
    private readonly faults: FaultEngine,
    private readonly limits?: SimConnectionLimits,
  ) {
    // The TCP socket under `ws` (not public API): frames are framed here and written in one piece.
    const socket = (ws as unknown as { _socket?: RawSocket })._socket;
    this.socket = socket && typeof socket.write === 'function' ? socket : undefined;
    ws.once('close', () => this.dispose());
  }

  /**
   * Frames sent in the same turn of the event loop leave together on the next tick: one buffer
   * with every WebSocket frame in it and one socket write for the whole turn (writing them one
   * by one through `ws` cost a header buffer, two stream chunks and an iovec per frame).
   */
  private flush = (): void => {
    const frames = this.pending;
    if (frames.length === 0) return;
    this.pending = [];
    this.pendingChars = 0;
    if (!this.open) return;
    const socket = this.socket;
    if (!socket) {
      for (const f of frames) this.ws.send(f);
      return;
    }
    socket.write(encodeTextFrames(frames));
  };
  get open(): boolean {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
  }

  /** True while a stall fault holds this connection's frames back. */
  get stalled(): boolean {
    return this.stallQueue !== undefined;
  }

  /** Bytes queued for the client in this turn's frames and the ws and socket buffers (frames held back by a stall are not counted). */
  get queuedBytes(): number {
    return this.ws.bufferedAmount + this.pendingChars;
  }

  /** Sends a frame, applying faults. `symbol` scopes symbol-specific faults. Returns true if sent (or queued). */
  send(frame: string, symbol?: string): boolean {
    if (!this.open) return false;
    const faults = this.faults;
    let out = frame;
    let duplicate = false;
    if (faults.armed > 0) {
      const target = { venue: this.venue, symbol, connection: this.id };
      if (faults.any('stall', this.venue)) {
        const stall = faults.take('stall', target);
        if (stall) this.stall(stall.durationMs ?? 5000);
      }
      if (faults.any('malformed', this.venue) && faults.take('malformed', target)) out = `{"malformed":${frame.slice(0, 20)}`;
      else if (faults.any('truncate', this.venue) && faults.take('truncate', target)) out = frame.slice(0, Math.max(1, frame.length >> 1));
      if (faults.any('reorder', this.venue) && this.held === undefined && faults.take('reorder', target)) {
        this.held = out;
        this.heldTimer = setTimeout(() => this.flushHeld(), REORDER_WAIT_MS);
        return true;
      }
      duplicate = faults.any('duplicate', this.venue) && faults.take('duplicate', target) !== undefined;
    }
    this.write(out);
    this.flushHeld();
    if (duplicate) this.write(out);
    return true;
  }

  private write(out: string): void {
    if (this.stallQueue) {
      this.stallQueue.push(out);
      return;
    }
    if (!this.open) return;
    if (this.pending.push(out) === 1) process.nextTick(this.flush);
    this.pendingChars += out.length;
    this.sent++;
    const limit = this.limits?.maxQueuedBytes ?? 0;
    if (limit > 0 && !this.shuttingDown) {
      const queued = this.queuedBytes;
      if (queued > limit) this.limits?.onSlow(this, queued);
    }
  }

  /** A WebSocket ping, after the frames of this turn. */
  ping(): void {
    if (!this.open) return;
    this.flush();
    this.ws.ping();
  }

  /** A held reorder frame goes out now (after the frame it was swapped with, or alone). */
  private flushHeld(): void {
    if (this.heldTimer) clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
    const held = this.held;
    if (held === undefined) return;
    this.held = undefined;
    this.write(held);
  }

  /** Holds every frame back for `ms`, then sends them all, in order. */
  private stall(ms: number): void {
    this.stallQueue ??= [];
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => this.endStall(), ms);
  }

  private endStall(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    const queued = this.stallQueue;
    this.stallQueue = undefined;
    for (const f of queued ?? []) this.write(f);
  }

  /**
   * Runs a venue's shutdown notice (which sends its frame and calls `close`) with the close
   * deferred by `graceMs`: the client gets the notice, keeps receiving data, then the close.
   */
  deferClose(graceMs: number, notice: () => void): void {
    this.shuttingDown = true;
    this.deferCloseMs = graceMs;
    try {
      notice();
    } finally {
      this.deferCloseMs = undefined;
    }
  }

  /** Abrupt drop: no close frame (like a network cut); this turn's frames are lost with it. */
  drop(): void {
    this.pending = [];
    this.pendingChars = 0;
    this.closed = true;
    this.dispose();
    this.ws.terminate();
  }

  /** Closes with a close frame, after sending what faults held back (reorder, stall). */
  close(code = 1000, reason = ''): void {
    if (this.closed) return;
    this.shuttingDown = true;
    const defer = this.deferCloseMs;
    if (defer !== undefined && defer > 0) {
      if (this.closeTimer) clearTimeout(this.closeTimer);
      this.closeTimer = setTimeout(() => this.close(code, reason), defer);
      return;
    }
    this.flushHeld();
    this.endStall();
    this.flush();
    this.closed = true;
    this.dispose();
    this.ws.close(code, reason);
  }

  /** Closes and destroys the socket after `graceMs` if the client has not completed the close by then. */
  closeThenTerminate(code: number, reason: string, graceMs: number): void {
    this.close(code, reason);
    setTimeout(() => this.ws.terminate(), graceMs).unref();
  }

  private dispose(): void {
    for (const t of [this.stallTimer, this.heldTimer, this.closeTimer]) if (t) clearTimeout(t);
    this.stallTimer = this.heldTimer = this.closeTimer = undefined;
  }
}

/** The socket under a `ws` connection, as far as this file uses it. */
interface RawSocket {
  write(data: Buffer): boolean;
}

/**
 * Server-to-client WebSocket text frames (RFC 6455 §5.2: FIN, opcode 1, unmasked, 7/16/64-bit
 * length) for `frames`, back to back in one buffer.
 */
export function encodeTextFrames(frames: readonly string[]): Buffer {
  let total = 0;
  const lengths: number[] = new Array(frames.length);
  for (let i = 0; i < frames.length; i++) {
    const len = Buffer.byteLength(frames[i] as string);
    lengths[i] = len;
    total += len + (len < 126 ? 2 : len < 65536 ? 4 : 10);
  }
  const buf = Buffer.allocUnsafe(total);
  let off = 0;
  for (let i = 0; i < frames.length; i++) {
    const len = lengths[i] as number;
    buf[off++] = 0x81;
    if (len < 126) buf[off++] = len;
    else if (len < 65536) {
      buf[off++] = 126;
      buf.writeUInt16BE(len, off);
      off += 2;
    } else {
      buf[off++] = 127;
      buf.writeUInt32BE(Math.floor(len / 2 ** 32), off);
      buf.writeUInt32BE(len >>> 0, off + 4);
      off += 8;
    }
    off += buf.write(frames[i] as string, off, len, 'utf8');
  }
  return buf;
}
