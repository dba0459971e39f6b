/**
 * Exact decimal handling for prices and sizes. Exchanges send decimal strings; inside a book we
 * keep integer units of 10^-decimals (ticks and lots), so there is no float drift and checksums
 * can be rebuilt digit for digit.
 */

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** Renders integer units as a decimal string with exactly `decimals` decimals (trailing zeros kept). */
export function formatFixed(units: number, decimals: number): string {
  if (decimals === 0) return String(units);
  const neg = units < 0;
  const s = String(Math.abs(units)).padStart(decimals + 1, '0');
  const out = `${s.slice(0, s.length - decimals)}.${s.slice(s.length - decimals)}`;
  return neg ? `-${out}` : out;
}

/**
 * Parses a decimal string into integer units of 10^-decimals (exact, no float rounding).
 * Digits beyond `decimals` are an error: they would be silently dropped otherwise.
 */
export function parseFixed(text: string, decimals: number): number {
  const m = DECIMAL.exec(text);
  if (!m) throw new RangeError(`"${text}" is not a non-negative decimal number`);
  const int = m[1] as string;
  const frac = m[2] ?? '';
  if (frac.length > decimals && /[1-9]/.test(frac.slice(decimals))) {
    throw new RangeError(`"${text}" has more than ${decimals} decimals`);
  }
  const units = Number(int + frac.padEnd(decimals, '0').slice(0, decimals));
  if (!Number.isSafeInteger(units)) throw new RangeError(`"${text}" does not fit in ${decimals}-decimal units exactly`);
  return units;
}

/** Removes trailing zeros (and a trailing dot): `"30244.000"` → `"30244"`, `"0.080"` → `"0.08"` (OKX's style). */
export function trimDecimal(text: string): string {
  if (!text.includes('.')) return text;
  const out = text.replace(/0+$/, '').replace(/\.$/, '');
  return out === '' ? '0' : out;
}

/** Renders integer units without trailing zeros: the style of venues that write `"0.08"`. */
export function formatTrimmed(units: number, decimals: number): string {
  return trimDecimal(formatFixed(units, decimals));
}

/**
 * Number of decimals of a step such as a tick or lot size: `"0.01"` → 2, `"1"` → 0,
 * `"0.00001000"` → 5, `"1e-8"` → 8. Throws for anything that is not a positive power-of-ten step
 * or a positive decimal.
 */
export function decimalsOf(step: string): number {
  const exp = /^1e-(\d+)$/i.exec(step);
  if (exp) return Number(exp[1]);
  const m = DECIMAL.exec(step);
  if (!m || Number(step) <= 0) throw new RangeError(`step "${step}" must be a positive decimal number`);
  return trimDecimal(step).split('.')[1]?.length ?? 0;
}

/** Compares two non-negative decimal strings exactly (any number of decimals): -1, 0 or 1. */
export function compareDecimal(a: string, b: string): number {
  const ma = DECIMAL.exec(a);
  const mb = DECIMAL.exec(b);
  if (!ma || !mb) throw new RangeError(`cannot compare "${a}" and "${b}": not non-negative decimals`);
  const ia = (ma[1] as string).replace(/^0+(?=\d)/, '');
  const ib = (mb[1] as string).replace(/^0+(?=\d)/, '');
  if (ia.length !== ib.length) return ia.length < ib.length ? -1 : 1;
  if (ia !== ib) return ia < ib ? -1 : 1;
  const fa = ma[2] ?? '';
  const fb = mb[2] ?? '';
  const n = Math.max(fa.length, fb.length);
  const pa = fa.padEnd(n, '0');
  const pb = fb.padEnd(n, '0');
  return pa === pb ? 0 : pa < pb ? -1 : 1;
}

/** True for `"0"`, `"0.000"` and the like (a deletion in most venues' book updates). */
export function isZeroDecimal(text: string): boolean {
  return /^0*(\.0*)?$/.test(text) && text !== '' && text !== '.';
}
