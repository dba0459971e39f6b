import type { z } from 'zod';

import { decodeJson, PayloadError } from './codec';
import { type L1, L1Schema, type L2, L2Schema, type Trade, TradeSchema } from './messages';
import { SYMBOL_PATTERN, VENUES } from './venues';

/**
 * Turns the bytes of one NATS message into a value, or throws `PayloadError` (the subscription
 * counts, logs a truncated sample and drops the message).
 */
export interface Decoder<T> {
  decode(data: Uint8Array, subject: string): T;
}

const text = new TextDecoder();

/** The bytes as they arrived (no copy). */
export const rawBytes: Decoder<Uint8Array> = { decode: (data) => data };

/** JSON validated by a zod schema (the contract in messages.ts). */
export function zodDecoder<S extends z.ZodType>(schema: S): Decoder<z.infer<S>> {
  const fast = FAST_VALIDATORS.get(schema);
  if (fast) return fast as Decoder<z.infer<S>>;
  return { decode: (data, subject) => decodeJson(schema, data, subject) };
}

/**
 * JSON checked by a hand-written validator that returns the first problem (or undefined). The
 * parsed object is returned as is: no copy, unknown keys are kept (zod would strip them).
 */
export function validatedJson<T>(validate: (value: unknown) => string | undefined): Decoder<T> {
  return {
    decode(data, subject) {
      const raw = text.decode(data);
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (err) {
        throw new PayloadError(subject, `not JSON (${(err as Error).message}): ${raw.slice(0, 80)}`);
      }
      const problem = validate(value);
      if (problem !== undefined) throw new PayloadError(subject, problem);
      return value as T;
    },
  };
}

// ---- Hand-written validators for the hot subjects -------------------------------------------
// Same rules as TradeSchema / L1Schema / L2Schema; messages.spec.ts checks that both agree on
// many valid and invalid samples. Change them together.

const venues: ReadonlySet<string> = new Set(VENUES);
type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** DECIMAL_PATTERN (`^\\d+(\\.\\d+)?([eE][-+]?\\d+)?$`) as a character loop: L2 checks 40+ of these per message. */
function isDecimal(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  const n = v.length;
  let i = digits(v, 0, n);
  if (i === 0) return false;
  if (i < n && v.charCodeAt(i) === 46 /* . */) {
    const j = digits(v, i + 1, n);
    if (j === i + 1) return false;
    i = j;
  }
  if (i < n && (v.charCodeAt(i) | 0x20) === 101 /* e or E */) {
    i++;
    const sign = i < n ? v.charCodeAt(i) : 0;
    if (sign === 43 /* + */ || sign === 45 /* - */) i++;
    const j = digits(v, i, n);
    if (j === i) return false;
    i = j;
  }
  return i === n;
}

function digits(s: string, from: number, n: number): number {
  let i = from;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  return i;
}
const isInt = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v);
const isEpoch = (v: unknown): boolean => isInt(v) && (v as number) >= 0;

function common(o: Obj): string | undefined {
  if (o['v'] !== 1) return 'v: expected 1';
  if (typeof o['venue'] !== 'string' || !venues.has(o['venue'])) return 'venue: expected a known venue';
  if (typeof o['symbol'] !== 'string' || !SYMBOL_PATTERN.test(o['symbol'])) return 'symbol: expected a BASE-QUOTE symbol';
  return undefined;
}

function times(o: Obj): string | undefined {
  if (!isEpoch(o['ts'])) return 'ts: expected epoch milliseconds';
  if (!isEpoch(o['recvTs'])) return 'recvTs: expected epoch microseconds';
  return undefined;
}

export function validateTrade(value: unknown): string | undefined {
  if (!isObject(value)) return '(root): expected an object';
  const c = common(value);
  if (c) return c;
  const id = value['id'];
  if (typeof id !== 'string' || id.length === 0) return 'id: expected a non-empty string';
  if (!isDecimal(value['price'])) return 'price: expected a non-negative decimal string';
  if (!isDecimal(value['size'])) return 'size: expected a non-negative decimal string';
  if (value['side'] !== 'buy' && value['side'] !== 'sell') return 'side: expected buy or sell';
  return times(value);
}

export function validateL1(value: unknown): string | undefined {
  if (!isObject(value)) return '(root): expected an object';
  const c = common(value);
  if (c) return c;
  if (!isDecimal(value['bidPx'])) return 'bidPx: expected a non-negative decimal string';
  if (!isDecimal(value['bidSz'])) return 'bidSz: expected a non-negative decimal string';
  if (!isDecimal(value['askPx'])) return 'askPx: expected a non-negative decimal string';
  if (!isDecimal(value['askSz'])) return 'askSz: expected a non-negative decimal string';
  if (value['seq'] !== undefined && !isInt(value['seq'])) return 'seq: expected an integer';
  return times(value);
}

function levels(v: unknown, name: string): string | undefined {
  if (!Array.isArray(v)) return `${name}: expected an array`;
  for (let i = 0; i < v.length; i++) {
    const l = v[i] as unknown;
    if (!Array.isArray(l) || l.length !== 2 || !isDecimal(l[0]) || !isDecimal(l[1])) {
      return `${name}.${i}: expected [price, size] decimal strings`;
    }
  }
  return undefined;
}

export function validateL2(value: unknown): string | undefined {
  if (!isObject(value)) return '(root): expected an object';
  const c = common(value);
  if (c) return c;
  if (typeof value['snapshot'] !== 'boolean') return 'snapshot: expected a boolean';
  const b = levels(value['bids'], 'bids') ?? levels(value['asks'], 'asks');
  if (b) return b;
  if (!isInt(value['seq'])) return 'seq: expected an integer';
  if (value['prevSeq'] !== undefined && !isInt(value['prevSeq'])) return 'prevSeq: expected an integer';
  return times(value);
}

export const TradeDecoder: Decoder<Trade> = validatedJson<Trade>(validateTrade);
export const L1Decoder: Decoder<L1> = validatedJson<L1>(validateL1);
export const L2Decoder: Decoder<L2> = validatedJson<L2>(validateL2);

/** `zodDecoder(TradeSchema)` picks the fast validator for the hot schemas. */
const FAST_VALIDATORS = new Map<z.ZodType, Decoder<unknown>>([
  [TradeSchema, TradeDecoder],
  [L1Schema, L1Decoder],
  [L2Schema, L2Decoder],
]);
