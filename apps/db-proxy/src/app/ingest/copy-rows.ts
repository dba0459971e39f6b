import type { Trade } from '@cryptoscalp/messaging';

import { dayNumber, dayString } from '../schema/partitions';

/** Columns of the staging table, in COPY order. */
export const STAGING_COLUMNS = 'venue, symbol, trade_id, day, ts_ms, price, size, side, recv_us, seq';

/** Escapes a value for COPY text format (backslash, tab, newline, carriage return). */
export function copyEscape(value: string): string {
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : value;
}

export interface CopyBatch {
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
 * One COPY payload for a batch of decoded trades (hot path: one string, no per-row objects).
 * The venue and symbol are validated by the decoder (no separators); prices and sizes are
 * decimal strings (no separators); the trade id is escaped. `seqs[i]` is the stream sequence of `trades[i]`.
 */
export function buildCopyBatch(trades: readonly Trade[], seqs: readonly number[], oldestKeptDay: number): CopyBatch {
  let text = '';
  let rows = 0;
  let expired = 0;
  let maxSeq = 0;
  const days = new Set<number>();
  for (let i = 0; i < trades.length; i++) {
    const t = trades[i] as Trade;
    const seq = seqs[i] ?? 0;
    if (seq > maxSeq) maxSeq = seq;
    const day = dayNumber(t.ts);
    if (day < oldestKeptDay) {
      expired++;
      continue;
    }
    days.add(day);
    text += `${t.venue}\t${t.symbol}\t${copyEscape(t.id)}\t${dayName(day)}\t${t.ts}\t${t.price}\t${t.size}\t${t.side}\t${t.recvTs}\t${seq}\n`;
    rows++;
  }
  return { text, rows, expired, days, maxSeq };
}
