import type { z } from 'zod';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Thrown when an incoming payload is not valid JSON or does not match its contract. */
export class PayloadError extends Error {
  constructor(
    readonly subject: string,
    readonly problem: string,
  ) {
    super(`invalid payload on ${subject}: ${problem}`);
    this.name = 'PayloadError';
  }
}

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/**
 * Decodes and validates one message. The error names the subject and, for a contract
 * violation, every offending field path (`bids.0.1: expected a non-negative decimal string`).
 */
export function decodeJson<S extends z.ZodType>(schema: S, data: Uint8Array | string, subject: string): z.infer<S> {
  const text = typeof data === 'string' ? data : decoder.decode(data);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new PayloadError(subject, `not JSON (${(err as Error).message}): ${text.slice(0, 80)}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
      .join('; ');
    throw new PayloadError(subject, problems);
  }
  return parsed.data;
}
