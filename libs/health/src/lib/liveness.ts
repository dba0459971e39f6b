import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

import type { ComponentResult } from './health.types';

/**
 * Event-loop responsiveness: the only thing liveness looks at (never dependencies, so a NATS
 * outage does not get every pod restarted). p99 delay over the last window.
 */
export class EventLoopProbe {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private timer: NodeJS.Timeout | undefined;
  private p99Ms = 0;

  constructor(
    private readonly warnMs = 200,
    private readonly failMs = 2000,
  ) {}

  start(): void {
    this.histogram.enable();
    this.timer = setInterval(() => {
      this.p99Ms = this.histogram.percentile(99) / 1e6;
      this.histogram.reset();
    }, 5000);
    this.timer.unref();
  }

  stop(): void {
    this.histogram.disable();
    if (this.timer) clearInterval(this.timer);
  }

  result(): ComponentResult {
    const current = Math.max(this.p99Ms, this.histogram.count > 0 ? this.histogram.percentile(99) / 1e6 : 0);
    const value = Math.round(current * 100) / 100;
    const status = value >= this.failMs ? 'fail' : value >= this.warnMs ? 'warn' : 'pass';
    return {
      status,
      observedValue: value,
      observedUnit: 'ms',
      measurement: 'delay',
      componentType: 'system',
      ...(status !== 'pass' ? { output: `event loop p99 delay ${value} ms` } : {}),
    };
  }
}
