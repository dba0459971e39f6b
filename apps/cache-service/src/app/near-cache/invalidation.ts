import { type Decoder, encodeJson, PayloadError } from '@cryptoscalp/messaging';

/** `cache.inval` payload: keys another replica has just written or deleted in Redis. */
export interface Invalidation {
  from: string;
  keys: string[];
}

const text = new TextDecoder();
const MAX_KEYS = 100_000;

/** Validates an invalidation message (untrusted input like any other). */
export const InvalidationDecoder: Decoder<Invalidation> = {
  decode(data, subject) {
    let value: unknown;
    try {
      value = JSON.parse(text.decode(data));
    } catch (err) {
      throw new PayloadError(subject, `not JSON (${(err as Error).message})`);
    }
    const v = value as Partial<Invalidation> | null;
    if (typeof v !== 'object' || v === null || typeof v.from !== 'string') throw new PayloadError(subject, 'from: expected a string');
    if (!Array.isArray(v.keys) || v.keys.length > MAX_KEYS || !v.keys.every((k) => typeof k === 'string')) {
      throw new PayloadError(subject, `keys: expected an array of at most ${MAX_KEYS} strings`);
    }
    return v as Invalidation;
  },
};

export function encodeInvalidation(from: string, keys: string[]): Uint8Array {
  return encodeJson({ from, keys } satisfies Invalidation);
}
