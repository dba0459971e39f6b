/**
 * The canonical text of a decimal value, so that venues' renderings compare by value:
 * `"60214.30000000"`, `"60214.3"` and `6.02143e4` all give `"60214.3"`.
 */
export function canonicalDecimal(value: string | number): string {
  const text = String(value).trim();
  const m = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new Error(`not a decimal: ${JSON.stringify(value)}`);
  const sign = m[1] === '-' ? '-' : '';
  const intPart = m[2] ?? '';
  const frac = m[3] ?? '';
  const exp = Number(m[4] ?? 0);
  // digits × 10^(exp − frac.length)
  let digits = (intPart + frac).replace(/^0+/, '');
  let scale = frac.length - exp;
  if (digits === '') return '0';
  while (scale > 0 && digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    scale--;
  }
  if (scale <= 0) return sign + digits + '0'.repeat(-scale);
  const padded = digits.padStart(scale + 1, '0');
  return `${sign}${padded.slice(0, padded.length - scale)}.${padded.slice(padded.length - scale)}`;
}

/** `[[price, size], …]` with every value canonical. */
export function canonicalLevels(levels: readonly (readonly (string | number)[])[]): [string, string][] {
  return levels.map((l) => [canonicalDecimal(l[0] as string), canonicalDecimal(l[1] as string)]);
}
