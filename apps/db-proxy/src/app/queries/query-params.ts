import { SYMBOL_PATTERN, VENUES } from '@cryptoscalp/messaging';

/** A request the API refuses (400) or cannot answer now (503/504); names the parameter at fault. */
export class QueryError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly parameter?: string,
  ) {
    super(parameter ? `${parameter}: ${message}` : message);
    this.name = 'QueryError';
  }

  body(): { statusCode: number; error: string; message: string; parameter?: string } {
    const error = this.status === 400 ? 'Bad Request' : this.status === 404 ? 'Not Found' : this.status === 504 ? 'Gateway Timeout' : 'Service Unavailable';
    return { statusCode: this.status, error, message: this.message, ...(this.parameter ? { parameter: this.parameter } : {}) };
  }
}

const bad = (parameter: string, message: string) => new QueryError(400, message, parameter);

export type Input = Record<string, unknown>;

export interface Instrument {
  venue: string;
  symbol: string;
}

export interface TradesQuery extends Instrument {
  /** Epoch ms, inclusive. */
  from: number | undefined;
  /** Epoch ms, exclusive. */
  to: number | undefined;
  limit: number;
  cursor: { ts: number; id: string } | undefined;
}

export const CANDLE_INTERVALS = { '1m': 60_000, '5m': 300_000, '15m': 900_000, '1h': 3_600_000, '4h': 14_400_000, '1d': 86_400_000 } as const;
export type CandleInterval = keyof typeof CANDLE_INTERVALS;
export const MAX_CANDLES = 10_000;

export interface CandlesQuery extends Instrument {
  interval: CandleInterval;
  from: number;
  to: number;
}

/** Refuses any parameter the endpoint does not know (a typo must not silently widen a query). */
function only(input: Input, allowed: readonly string[]): void {
  for (const key of Object.keys(input)) if (!allowed.includes(key)) throw bad(key, `unknown parameter (expected one of ${allowed.join(', ')})`);
}

function str(input: Input, name: string): string | undefined {
  const v = input[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') throw bad(name, 'expected a single value');
  return v;
}

export function instrument(input: Input): Instrument {
  const venue = str(input, 'venue');
  if (!venue || !(VENUES as readonly string[]).includes(venue)) throw bad('venue', `expected one of ${VENUES.join(', ')}`);
  const symbol = str(input, 'symbol');
  if (!symbol || !SYMBOL_PATTERN.test(symbol)) throw bad('symbol', 'expected a BASE-QUOTE symbol such as BTC-USDT');
  return { venue, symbol };
}

const MAX_TIME = Date.UTC(9999, 0, 1);

/** Epoch milliseconds, or an ISO 8601 time with a zone (`2026-01-02T03:04:05Z`). */
export function time(input: Input, name: string): number | undefined {
  const v = str(input, name);
  if (v === undefined) return undefined;
  let ms: number;
  if (/^\d{1,16}$/.test(v)) ms = Number(v);
  else if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(v)) ms = Date.parse(v);
  else throw bad(name, 'expected epoch milliseconds or an ISO 8601 time such as 2026-01-02T03:04:05Z');
  if (!Number.isFinite(ms) || ms > MAX_TIME) throw bad(name, 'expected a valid time');
  return ms;
}

function range(input: Input): { from: number | undefined; to: number | undefined } {
  const from = time(input, 'from');
  const to = time(input, 'to');
  if (from !== undefined && to !== undefined && to <= from) throw bad('to', 'must be after from');
  return { from, to };
}

export function encodeCursor(ts: number, id: string): string {
  return Buffer.from(JSON.stringify([ts, id])).toString('base64url');
}

function cursor(input: Input): { ts: number; id: string } | undefined {
  const v = str(input, 'cursor');
  if (v === undefined) return undefined;
  try {
    if (!/^[A-Za-z0-9_-]{1,400}$/.test(v)) throw new Error();
    const parsed = JSON.parse(Buffer.from(v, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && Number.isSafeInteger(parsed[0]) && parsed[0] >= 0 && typeof parsed[1] === 'string') {
      return { ts: parsed[0] as number, id: parsed[1] as string };
    }
  } catch {
    /* below */
  }
  throw bad('cursor', 'expected the "next" value of a previous page');
}

export function tradesQuery(input: Input, maxLimit: number): TradesQuery {
  only(input, ['venue', 'symbol', 'from', 'to', 'limit', 'cursor']);
  const limitText = str(input, 'limit');
  let limit = Math.min(1000, maxLimit);
  if (limitText !== undefined) {
    if (!/^\d{1,7}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > maxLimit) throw bad('limit', `expected an integer from 1 to ${maxLimit}`);
    limit = Number(limitText);
  }
  return { ...instrument(input), ...range(input), limit, cursor: cursor(input) };
}

export function candlesQuery(input: Input, now: number): CandlesQuery {
  only(input, ['venue', 'symbol', 'interval', 'from', 'to']);
  const inst = instrument(input);
  const intervalText = str(input, 'interval') ?? '1m';
  if (!(intervalText in CANDLE_INTERVALS)) throw bad('interval', `expected one of ${Object.keys(CANDLE_INTERVALS).join(', ')}`);
  const interval = intervalText as CandleInterval;
  const step = CANDLE_INTERVALS[interval];
  const r = range(input);
  const to = r.to ?? now;
  const from = r.from ?? to - 60 * step;
  if (from >= to) throw bad('from', 'must be before to');
  if ((to - from) / step > MAX_CANDLES) throw bad('from', `range too long: at most ${MAX_CANDLES} candles of ${interval}`);
  return { ...inst, interval, from, to };
}

export function latestQuery(input: Input): Instrument {
  only(input, ['venue', 'symbol']);
  return instrument(input);
}

export function statsQuery(input: Input): Record<string, never> {
  only(input, []);
  return {};
}
