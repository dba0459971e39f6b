import { ExponentialBackoff, type IBackoff } from 'cockatiel';

export interface BackoffOptions {
  /** First delay in ms. */
  initialDelayMs: number;
  /** Cap in ms; delays are decorrelated-jittered below it (cockatiel's default generator). */
  maxDelayMs: number;
}

/**
 * The platform's one backoff: capped exponential with decorrelated jitter (cockatiel's
 * `ExponentialBackoff`). `next()` returns the next delay; `reset()` starts over after a success.
 */
export class Backoff {
  private current: IBackoff<unknown> | undefined;

  constructor(private readonly options: BackoffOptions) {}

  next(): number {
    const factory = this.current ?? new ExponentialBackoff({ initialDelay: this.options.initialDelayMs, maxDelay: this.options.maxDelayMs });
    this.current = factory.next(undefined);
    return Math.min(this.current.duration, this.options.maxDelayMs);
  }

  reset(): void {
    this.current = undefined;
  }
}

export interface BackgroundRetryOptions extends BackoffOptions {
  /** Called after each failed attempt (log, metrics); `attempt` counts from 1. */
  onFailure?: (error: Error, attempt: number, nextDelayMs: number) => void;
}

/**
 * "Connect in the background with retries": runs `attempt` until it resolves, waiting a capped,
 * jittered backoff between failures, and can be stopped at any time (a pending wait ends at once).
 * `done` resolves with the attempt's result, or rejects with `RetryStoppedError` after `stop()`.
 * Services use it so they boot (and report `fail` readiness) while a dependency is down.
 */
export class BackgroundRetry<T> {
  readonly done: Promise<T>;
  attempts = 0;
  lastError: Error | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly attempt: () => Promise<T>,
    private readonly options: BackgroundRetryOptions,
  ) {
    this.done = this.run();
    // Observed by whoever awaits `done`; never an unhandled rejection after stop().
    this.done.catch(() => undefined);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
  }

  private async run(): Promise<T> {
    const backoff = new Backoff(this.options);
    for (;;) {
      if (this.stopped) throw new RetryStoppedError();
      this.attempts++;
      try {
        const result = await this.attempt();
        this.lastError = undefined;
        return result;
      } catch (err) {
        this.lastError = err instanceof Error ? err : new Error(String(err));
        if (this.stopped) throw new RetryStoppedError();
        const delay = backoff.next();
        this.options.onFailure?.(this.lastError, this.attempts, delay);
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.timer = setTimeout(resolve, delay);
        });
      }
    }
  }
}

export class RetryStoppedError extends Error {
  constructor() {
    super('retry stopped');
    this.name = 'RetryStoppedError';
  }
}
