import { type RawData, WebSocket } from 'ws';

import { nowUs } from '../feeds/clock';

export interface WsHandlers {
  onFrame(text: string, recvUs: number): void;
  onClose(code: number, reason: string): void;
}

export interface WsConnectionOptions {
  /** No frame and no ping for this long: the connection is terminated (the owner reconnects). */
  staleAfterMs: number;
  /** Outgoing messages per second allowed by the venue (paced sends stay one below it). */
  maxOutgoingPerSecond: number;
  handshakeTimeoutMs?: number;
}

/**
 * One WebSocket connection: open with a handshake timeout, text frames to `onFrame` with the
 * receive time, server pings answered by `ws` (and counted as activity), a stale watchdog, and
 * paced outgoing messages (subscriptions) under the venue's per-second limit.
 */
export class WsConnection {
  private ws: WebSocket | undefined;
  private readonly outbox: string[] = [];
  private pacer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private closed = false;
  lastFrameAt = Date.now();
  openedAt = 0;
  framesIn = 0;

  constructor(
    readonly url: string,
    private readonly handlers: WsHandlers,
    private readonly options: WsConnectionOptions,
  ) {}

  /** Resolves once open; rejects when the connection fails before opening. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, { handshakeTimeout: this.options.handshakeTimeoutMs ?? 10_000, perMessageDeflate: false });
      this.ws = ws;
      let opened = false;
      ws.on('open', () => {
        opened = true;
        this.openedAt = Date.now();
        this.lastFrameAt = Date.now();
        this.watchdog = setInterval(() => this.checkStale(), Math.min(1000, this.options.staleAfterMs / 2));
        resolve();
      });
      ws.on('message', (data: RawData, isBinary: boolean) => {
        const recv = nowUs();
        this.lastFrameAt = Date.now();
        this.framesIn++;
        if (isBinary) return;
        this.handlers.onFrame(typeof data === 'string' ? data : data.toString(), recv);
      });
      ws.on('ping', () => {
        this.lastFrameAt = Date.now();
      });
      ws.on('error', (err) => {
        if (!opened) reject(err);
      });
      ws.on('close', (code, reason) => {
        this.stopTimers();
        if (!opened) {
          reject(new Error(`closed before open (${code} ${reason.toString()})`));
          return;
        }
        if (!this.closed) {
          this.closed = true;
          this.handlers.onClose(code, reason.toString());
        }
      });
    });
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  send(text: string): void {
    if (this.isOpen) this.ws?.send(text);
  }

  /** Queues messages, sent at most `maxOutgoingPerSecond - 1` per second (pongs count too at some venues). */
  sendPaced(messages: readonly string[]): void {
    this.outbox.push(...messages);
    if (this.pacer || this.outbox.length === 0) return;
    const perSecond = Math.max(1, this.options.maxOutgoingPerSecond - 1);
    const step = () => {
      const next = this.outbox.shift();
      if (next !== undefined) this.send(next);
      if (this.outbox.length === 0 && this.pacer) {
        clearInterval(this.pacer);
        this.pacer = undefined;
      }
    };
    step();
    if (this.outbox.length) this.pacer = setInterval(step, Math.ceil(1000 / perSecond));
  }

  /** Closes without calling `onClose` (the owner already knows). */
  close(code = 1000, reason = 'closing'): void {
    this.closed = true;
    this.stopTimers();
    const ws = this.ws;
    if (!ws) return;
    if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
    else ws.terminate();
    // A peer that never completes the closing handshake must not keep the socket.
    setTimeout(() => ws.terminate(), 2000).unref();
  }

  private checkStale(): void {
    if (Date.now() - this.lastFrameAt > this.options.staleAfterMs) {
      this.stopTimers();
      this.ws?.terminate(); // → 'close' (1006) → onClose → reconnect
    }
  }

  private stopTimers(): void {
    if (this.pacer) clearInterval(this.pacer);
    if (this.watchdog) clearInterval(this.watchdog);
    this.pacer = undefined;
    this.watchdog = undefined;
  }
}
