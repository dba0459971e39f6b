import type { HealthStatus } from '@cryptoscalp/messaging';

export interface DamperOptions {
  /** Consecutive non-pass observations before the state leaves `pass` (or changes between warn and fail). */
  failAfter: number;
  /** Consecutive passes before the state is `pass` again. */
  passAfter: number;
  /** State changes within `flapWindowMs` that make the target flapping. */
  flapChanges: number;
  flapWindowMs: number;
}

export interface DampedState {
  state: HealthStatus;
  /** When `state` was entered. */
  since: number;
  flapping: boolean;
  /** State changes inside the flap window. */
  changes: number;
}

/**
 * Turns raw check results into a stable tri-state: one failed check does not make a target `fail`,
 * one pass does not make it `pass`. A target whose state keeps changing is "flapping" until it has
 * been steady for a whole window. The first observation is taken as is.
 */
export class FlapDamper {
  private current: HealthStatus | undefined;
  private since = 0;
  private candidate: HealthStatus | undefined;
  private streak = 0;
  private changeTimes: number[] = [];

  /** `initial`: the state to start from (the instance's own word in its heartbeat); else the first observation. */
  constructor(
    private readonly options: DamperOptions,
    initial?: HealthStatus,
    now = Date.now(),
  ) {
    if (initial) {
      this.current = initial;
      this.since = now;
    }
  }

  observe(raw: HealthStatus, now = Date.now()): DampedState {
    if (this.current === undefined) {
      this.current = raw;
      this.since = now;
    } else if (raw === this.current) {
      this.candidate = undefined;
      this.streak = 0;
    } else {
      this.streak = raw === this.candidate ? this.streak + 1 : 1;
      this.candidate = raw;
      const needed = raw === 'pass' ? this.options.passAfter : this.options.failAfter;
      if (this.streak >= needed) {
        this.current = raw;
        this.since = now;
        this.candidate = undefined;
        this.streak = 0;
        this.changeTimes.push(now);
      }
    }
    return this.read(now);
  }

  read(now = Date.now()): DampedState {
    const from = now - this.options.flapWindowMs;
    while (this.changeTimes.length && (this.changeTimes[0] as number) < from) this.changeTimes.shift();
    const changes = this.changeTimes.length;
    return { state: this.current ?? 'pass', since: this.since, flapping: changes >= this.options.flapChanges, changes };
  }
}
