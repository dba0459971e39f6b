/** The logger the messaging pieces write to (a Nest `Logger` fits; the default writes to stderr). */
export interface MessagingLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const stderrLogger: MessagingLogger = {
  log: (m) => process.stderr.write(`[messaging] ${m}\n`),
  warn: (m) => process.stderr.write(`[messaging] WARN ${m}\n`),
  error: (m) => process.stderr.write(`[messaging] ERROR ${m}\n`),
};

/** Longest sample of a bad payload that goes into a log line. */
export const SAMPLE_CHARS = 200;

const text = new TextDecoder();

/** The first `SAMPLE_CHARS` characters of a payload, for a log line (never the whole message). */
export function sample(data: Uint8Array | string): string {
  const s = typeof data === 'string' ? data : text.decode(data.subarray(0, SAMPLE_CHARS * 4));
  return s.length > SAMPLE_CHARS ? `${s.slice(0, SAMPLE_CHARS)}…` : s;
}

/**
 * At most one line per interval; the next line says how many were suppressed. A flood of bad
 * messages costs a counter increment each, not a log line each.
 */
export class RateLimitedLog {
  private nextAt = 0;
  private suppressed = 0;

  constructor(
    private readonly logger: MessagingLogger,
    private readonly intervalMs = 5000,
  ) {}

  warn(message: () => string): void {
    const now = Date.now();
    if (now < this.nextAt) {
      this.suppressed++;
      return;
    }
    this.nextAt = now + this.intervalMs;
    const more = this.suppressed ? ` (${this.suppressed} similar suppressed)` : '';
    this.suppressed = 0;
    this.logger.warn(message() + more);
  }
}
