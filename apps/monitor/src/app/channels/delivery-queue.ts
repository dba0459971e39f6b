import { Backoff } from '@cryptoscalp/circuit-breaker';

import type { Channel, Notification } from './channel.types';

export interface DeliveryStats {
  receiver: string;
  type: string;
  target: string;
  sent: number;
  /** Notifications given up on after `maxAttempts`. */
  failed: number;
  retries: number;
  pending: number;
  lastError?: string;
  lastErrorAt?: number;
  lastSuccessAt?: number;
}

export interface DeliveryOptions {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  onOutcome?: (stats: DeliveryStats, outcome: 'sent' | 'retry' | 'failed', error?: string) => void;
}

/**
 * Delivers notifications to one channel in order, one at a time; a failed send is retried with
 * the platform's capped, jittered backoff up to `maxAttempts`, then dropped and counted. Failures
 * are visible in `stats` (the API and dashboard show them).
 */
export class DeliveryQueue {
  readonly stats: DeliveryStats;
  private readonly queue: Notification[] = [];
  private running = false;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(
    receiver: string,
    private readonly channel: Channel,
    private readonly options: DeliveryOptions,
  ) {
    this.stats = { receiver, type: channel.type, target: channel.target, sent: 0, failed: 0, retries: 0, pending: 0 };
  }

  enqueue(n: Notification): void {
    if (this.stopped) return;
    this.queue.push(n);
    this.stats.pending = this.queue.length;
    if (!this.running) void this.run();
  }

  /** Resolves when the queue is empty (or stopped). */
  async idle(): Promise<void> {
    while (this.running) await new Promise((r) => setTimeout(r, 20));
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
    this.channel.close?.();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length && !this.stopped) {
        const n = this.queue[0] as Notification;
        const backoff = new Backoff({ initialDelayMs: this.options.initialDelayMs, maxDelayMs: this.options.maxDelayMs });
        for (let attempt = 1; ; attempt++) {
          try {
            await this.channel.send(n);
            this.stats.sent++;
            this.stats.lastSuccessAt = Date.now();
            this.options.onOutcome?.(this.stats, 'sent');
            break;
          } catch (err) {
            const message = String((err as Error)?.message ?? err).slice(0, 300);
            this.stats.lastError = message;
            this.stats.lastErrorAt = Date.now();
            if (attempt >= this.options.maxAttempts || this.stopped) {
              this.stats.failed++;
              this.options.onOutcome?.(this.stats, 'failed', message);
              break;
            }
            this.stats.retries++;
            this.options.onOutcome?.(this.stats, 'retry', message);
            await new Promise<void>((resolve) => {
              const t = setTimeout(resolve, backoff.next());
              this.wake = () => {
                clearTimeout(t);
                resolve();
              };
            });
          }
        }
        this.queue.shift();
        this.stats.pending = this.queue.length;
      }
    } finally {
      this.running = false;
    }
  }
}
