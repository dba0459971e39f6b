/**
 * Prices and sizes are integers of ticks and lots inside the simulator; they are rendered as
 * decimal strings with the instrument's fixed number of decimals (trailing zeros kept), exactly
 * as exchanges send them and as checksums need them.
 */
export function formatFixed(units: number, decimals: number): string {
  if (decimals === 0) return String(units);
  const neg = units < 0;
  const s = String(Math.abs(units)).padStart(decimals + 1, '0');
  const out = `${s.slice(0, s.length - decimals)}.${s.slice(s.length - decimals)}`;
  return neg ? `-${out}` : out;
}

/** Parses a decimal string into integer units of 10^-decimals (exact, no float rounding). */
export function parseFixed(text: string, decimals: number): number {
  const [int, frac = ''] = text.split('.');
  return Number(int + frac.padEnd(decimals, '0').slice(0, decimals));
}
