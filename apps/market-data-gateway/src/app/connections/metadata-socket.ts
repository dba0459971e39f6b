import type { ResiliencePolicy } from '@cryptoscalp/circuit-breaker';

import type { MetadataSocket } from '../venues/venue-adapter';
import type { AttemptLimiter } from './attempt-limiter';
import { WsConnection } from './ws-connection';

/**
 * `MetadataSocket` of a venue: each request is one short-lived `WsConnection`, opened after the
 * venue's connection-attempt limiter allows it and inside the endpoint's circuit breaker (a
 * metadata read that fails or times out counts against the endpoint like a failed connection).
 */
export class CoreMetadataSocket implements MetadataSocket {
  constructor(
    private readonly attempts: AttemptLimiter,
    private readonly breakerFor: (url: string) => ResiliencePolicy,
    private readonly maxOutgoingPerSecond: number,
  ) {}

  async request<T>(url: string, send: readonly string[], read: (frame: string) => T | undefined, timeoutMs = 10_000): Promise<T> {
    await this.attempts.take();
    return this.breakerFor(url).execute(() => this.once(url, send, read, timeoutMs));
  }

  private once<T>(url: string, send: readonly string[], read: (frame: string) => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const finish = (err: Error | undefined, value?: T) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        conn.close(1000, 'metadata read');
        if (err) reject(err);
        else resolve(value as T);
      };
      const conn = new WsConnection(
        url,
        {
          onFrame: (text) => {
            if (done) return;
            try {
              const value = read(text);
              if (value !== undefined) finish(undefined, value);
            } catch (err) {
              finish(err as Error);
            }
          },
          onClose: (code, reason) => finish(new Error(`metadata connection closed (${code} ${reason})`)),
        },
        { staleAfterMs: timeoutMs, maxOutgoingPerSecond: this.maxOutgoingPerSecond, handshakeTimeoutMs: timeoutMs },
      );
      const timer = setTimeout(() => finish(new Error(`no metadata from ${url} within ${timeoutMs} ms`)), timeoutMs);
      timer.unref?.();
      conn.open().then(
        () => {
          if (!done) conn.sendPaced(send);
        },
        (err: Error) => finish(err),
      );
    });
  }
}
