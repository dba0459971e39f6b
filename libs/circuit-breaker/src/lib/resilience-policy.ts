import {
  BrokenCircuitError,
  bulkhead,
  BulkheadRejectedError,
  circuitBreaker,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  CountBreaker,
  ExponentialBackoff,
  handleAll,
  handleWhen,
  type IBreaker,
  type IPolicy,
  IsolatedCircuitError,
  noop,
  retry,
  SamplingBreaker,
  timeout,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';

import type { HealthStatus } from './health-status';

/** How the breaker decides to open. */
export type BreakerWindow =
  /** Open after N failures in a row. */
  | { kind: 'consecutive'; failures: number }
  /** Open when the failure ratio over the last `size` calls reaches `threshold` (0..1). */
  | { kind: 'count'; size: number; threshold: number; minimumCalls?: number }
  /** Open when the failure ratio over the last `durationMs` reaches `threshold` (0..1). */
  | { kind: 'sampling'; durationMs: number; threshold: number; minimumRps?: number };

export interface BreakerOptions {
  window: BreakerWindow;
  /** After this long open, one probe call is let through (half-open); success closes, failure re-opens. */
  halfOpenAfterMs: number;
  /** An open critical breaker makes the service unready (`fail`); otherwise it is degraded (`warn`). */
  critical?: boolean;
}

export interface RetryOptions {
  /** Retries after the first attempt. */
  maxAttempts: number;
  initialDelayMs: number;
  /** Cap of the exponential backoff; delays are decorrelated-jittered below it. */
  maxDelayMs: number;
}

export interface PolicyOptions {
  breaker?: BreakerOptions;
  retry?: RetryOptions;
  /** Per-attempt timeout; the callee gets an AbortSignal that fires when it expires. */
  timeoutMs?: number;
  /** Concurrency limit with an optional waiting queue; excess calls are rejected at once. */
  bulkhead?: { limit: number; queue?: number };
}

export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

function makeBreaker(window: BreakerWindow): IBreaker {
  switch (window.kind) {
    case 'consecutive':
      return new ConsecutiveBreaker(window.failures);
    case 'count':
      return new CountBreaker({ threshold: window.threshold, size: window.size, minimumNumberOfCalls: window.minimumCalls });
    case 'sampling':
      return new SamplingBreaker({ threshold: window.threshold, duration: window.durationMs, minimumRps: window.minimumRps });
  }
}

/**
 * A named composition of cockatiel policies: bulkhead → retry → circuit breaker → timeout.
 * Retries stop as soon as the breaker opens (BrokenCircuitError is not retried).
 */
export class ResiliencePolicy {
  private readonly policy: IPolicy;
  private readonly cb: CircuitBreakerPolicy | undefined;
  private lastChange = Date.now();
  failures = 0;
  successes = 0;

  constructor(
    readonly name: string,
    readonly options: PolicyOptions,
    onStateChange?: (policy: ResiliencePolicy, state: BreakerState) => void,
  ) {
    const parts: IPolicy[] = [];
    if (options.bulkhead) parts.push(bulkhead(options.bulkhead.limit, options.bulkhead.queue ?? 0));
    if (options.retry) {
      const r = options.retry;
      parts.push(
        retry(
          handleWhen(
            (err) => !(err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError || err instanceof BulkheadRejectedError),
          ),
          { maxAttempts: r.maxAttempts, backoff: new ExponentialBackoff({ initialDelay: r.initialDelayMs, maxDelay: r.maxDelayMs }) },
        ),
      );
    }
    if (options.breaker) {
      this.cb = circuitBreaker(handleAll, { halfOpenAfter: options.breaker.halfOpenAfterMs, breaker: makeBreaker(options.breaker.window) });
      this.cb.onStateChange((state) => {
        this.lastChange = Date.now();
        onStateChange?.(this, STATE_NAMES[state]);
      });
      parts.push(this.cb);
    }
    if (options.timeoutMs !== undefined) parts.push(timeout(options.timeoutMs, TimeoutStrategy.Aggressive));
    this.policy = parts.length ? wrap(...parts) : noop;
  }

  get state(): BreakerState {
    return this.cb ? STATE_NAMES[this.cb.state] : 'closed';
  }

  /** Milliseconds since the breaker last changed state. */
  get sinceChangeMs(): number {
    return Date.now() - this.lastChange;
  }

  health(): HealthStatus {
    const state = this.state;
    if (state === 'closed') return 'pass';
    if (state === 'half-open') return 'warn';
    return this.options.breaker?.critical ? 'fail' : 'warn';
  }

  async execute<T>(fn: (signal: AbortSignal) => PromiseLike<T> | T): Promise<T> {
    try {
      const result = await this.policy.execute(({ signal }) => fn(signal));
      this.successes++;
      return result;
    } catch (err) {
      this.failures++;
      throw err;
    }
  }

  /** Holds the breaker open by hand (maintenance); call the returned function to release it. */
  isolate(): () => void {
    if (!this.cb) throw new Error(`policy ${this.name} has no circuit breaker to isolate`);
    const handle = this.cb.isolate();
    return () => handle.dispose();
  }
}
