/**
 * Connection attempts per IP within a venue's window (Binance: 300 per 5 minutes). `take()`
 * waits while the window is full, so a reconnect storm of many shards never trips the venue.
 */
export class AttemptLimiter {
  private readonly attempts: number[] = [];

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  async take(): Promise<void> {
    for (;;) {
      const now = Date.now();
      while (this.attempts.length && (this.attempts[0] as number) <= now - this.windowMs) this.attempts.shift();
      // Keep a margin of 10 % for other processes on the same IP.
      if (this.attempts.length < Math.max(1, Math.floor(this.max * 0.9))) {
        this.attempts.push(now);
        return;
      }
      await new Promise((r) => setTimeout(r, (this.attempts[0] as number) + this.windowMs - now + 10));
    }
  }
}
