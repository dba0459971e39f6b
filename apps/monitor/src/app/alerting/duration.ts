import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `250ms`, `30s`, `5m`, `4h`, `1d`, or a number of milliseconds. */
export const DurationSchema = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'expected a duration such as 30s, 5m, 4h')
    .transform((v) => {
      const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(v) as RegExpExecArray;
      return Math.round(Number(m[1]) * (UNITS[m[2] as string] as number));
    }),
]);

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 6000) / 10}m`;
  return `${Math.round(ms / 360_000) / 10}h`;
}
