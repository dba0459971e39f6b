import type { Trade } from '@cryptoscalp/messaging';

import { dayNumber, dayString } from '../schema/partitions';

/** Columns of a COPY payload, in order: those of `trades` (and of the staging table, which has the same). */
export const COPY_COLUMNS = 'venue, symbol, trade_id, day, ts, price, size, side, recv_ts, stream_seq';

/** Escapes a value for COPY text format (backslash, tab, newline, carriage return). */
export function copyEscape(value: string): string {
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : value;
}

export interface CopyBatch {
  /** Whether `trades[i]` is in the payload (false: past the retention). */
  stored: (i: number) => boolean;
  /** COPY text of the trades to store. */
  text: string;
  rows: number;
  /** Trades older than the retention: not stored (their partition is gone or about to be). */
  expired: number;
  /** UTC day numbers present in the batch. */
  days: Set<number>;
  /** Highest stream sequence of the batch (0 when none is given). */
  maxSeq: number;
}

let lastSecond = Number.NaN;
let lastSecondText = '';
/** `YYYY-MM-DDTHH:MM:SS` (UTC) of an epoch second; consecutive trades mostly share one, so the last is kept. */
function secondText(second: number): string {
  if (second !== lastSecond) {
    lastSecond = second;
    lastSecondText = new Date(second * 1000).toISOString().slice(0, 19);
  }
  return lastSecondText;
}

/** ISO 8601 UTC text of an epoch-millisecond time, as COPY reads a timestamptz. */
export function isoMillis(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${secondText(s)}.${String(ms - s * 1000).padStart(3, '0')}Z`;
}

/** ISO 8601 UTC text of an epoch-microsecond time (exact to the microsecond, no float rounding). */
export function isoMicros(us: number): string {
  const s = Math.floor(us / 1_000_000);
  return `${secondText(s)}.${String(us - s * 1_000_000).padStart(6, '0')}Z`;
}

const dayNames = new Map<number, string>();
function dayName(day: number): string {
  let s = dayNames.get(day);
  if (s === undefined) {
    s = dayString(day);
    if (dayNames.size > 10_000) dayNames.clear();
    dayNames.set(day, s);
  }
  return s;
}

/**
 * One COPY payload for a batch of decoded trades, in the columns of `trades` (hot path: one
 * string, no per-row objects; times as ISO 8601 UTC text).
 * The venue and symbol are validated by the decoder (no separators); prices and sizes are
 * decimal strings (no separators); the trade id is escaped. `seqs[i]` is the stream sequence of `trades[i]`.
 */
export function buildCopyBatch(trades: readonly Trade[], seqs: readonly number[], oldestKeptDay: number): CopyBatch {
  let text = '';
  let rows = 0;
  let expired = 0;
  let maxSeq = 0;
  const days = new Set<number>();
  let skipped: Set<number> | undefined;
  for (let i = 0; i < trades.length; i++) {
    const t = trades[i] as Trade;
    const seq = seqs[i] ?? 0;
    if (seq > maxSeq) maxSeq = seq;
    const day = dayNumber(t.ts);
    if (day < oldestKeptDay) {
      expired++;
      (skipped ??= new Set()).add(i);
      continue;
    }
    days.add(day);
    text += `${t.venue}\t${t.symbol}\t${copyEscape(t.id)}\t${dayName(day)}\t${isoMillis(t.ts)}\t${t.price}\t${t.size}\t${t.side}\t${isoMicros(t.recvTs)}\t${seq}\n`;
    rows++;
  }
  const stored = skipped === undefined ? () => true : (i: number) => !skipped.has(i);
  return { text, rows, expired, days, maxSeq, stored };
}
