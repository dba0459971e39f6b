import { isSymbol, isVenue, VENUES } from '@cryptoscalp/messaging';

import { CANDLE_INTERVALS, type CandleInterval } from '../market/keys';
import { ApiError } from './api-error';

/** Validation of query parameters from HTTP paths/queries and NATS request bodies (all untrusted). */
export function venueParam(value: unknown): string {
  if (typeof value !== 'string' || !isVenue(value)) throw new ApiError(400, `venue: expected one of ${VENUES.join(', ')}`);
  return value;
}

export function symbolParam(value: unknown): string {
  if (typeof value !== 'string' || !isSymbol(value)) throw new ApiError(400, 'symbol: expected a BASE-QUOTE symbol such as BTC-USDT');
  return value;
}

/** An optional integer in [min, max]; `fallback` when absent. */
export function intParam(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d{1,12}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new ApiError(400, `${name}: expected an integer from ${min} to ${max}`);
  return n;
}

export function intervalParam(value: unknown): CandleInterval {
  if (value === undefined || value === '') return '1m';
  if (typeof value !== 'string' || !(value in CANDLE_INTERVALS)) {
    throw new ApiError(400, `interval: expected one of ${Object.keys(CANDLE_INTERVALS).join(', ')}`);
  }
  return value as CandleInterval;
}

const NAMESPACE = /^[A-Za-z0-9_-]{1,64}$/;
// Printable ASCII without spaces; `}` and `{` would break the hash tag.
const KEY = /^[\x21-\x7a\x7c\x7e]{1,512}$/;

export function namespaceParam(value: unknown): string {
  if (typeof value !== 'string' || !NAMESPACE.test(value)) throw new ApiError(400, 'namespace: expected 1-64 letters, digits, "_" or "-"');
  return value;
}

export function keyParam(value: unknown, name = 'key'): string {
  if (typeof value !== 'string' || !KEY.test(value))
    throw new ApiError(400, `${name}: expected 1-512 printable characters without spaces or braces`);
  return value;
}

export const MAX_MGET = 1000;
export const MAX_VALUE_BYTES = 1_048_576;

export function keysParam(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_MGET) throw new ApiError(400, `keys: expected 1 to ${MAX_MGET} keys`);
  return list.map((k) => keyParam(k, 'keys'));
}

export function valueParam(value: unknown): string {
  if (typeof value !== 'string') throw new ApiError(400, 'value: expected a string');
  if (Buffer.byteLength(value) > MAX_VALUE_BYTES) throw new ApiError(400, `value: expected at most ${MAX_VALUE_BYTES} bytes`);
  return value;
}

export function ttlParam(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return intParam('ttlMs', value, 1, 30 * 86_400_000, 0);
}
