/** UTC day number (days since 1970-01-01) of an epoch-millisecond time. */
export function dayNumber(epochMs: number): number {
  return Math.floor(epochMs / 86_400_000);
}

/** `YYYY-MM-DD` of a UTC day number. */
export function dayString(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** Day number of `trades_YYYYMMDD`, or undefined for any other name. */
export function partitionDay(name: string): number | undefined {
  const m = /^trades_(\d{4})(\d{2})(\d{2})$/.exec(name);
  if (!m) return undefined;
  return dayNumber(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
}

/**
 * Which days are kept: the oldest day kept is `today - retentionDays + 1` (with 7 days of
 * retention, today and the six days before).
 */
export function oldestKeptDay(nowMs: number, retentionDays: number): number {
  return dayNumber(nowMs) - retentionDays + 1;
}
