/**
 * Exact sums of non-negative decimal strings (`0.1` + `0.2` is `0.3`, not `0.30000000000000004`).
 * A value is kept as a scaled BigInt; `1e-8` style exponents are accepted.
 */
export class DecimalSum {
  private units = 0n;
  private scale = 0;

  add(text: string): void {
    let digits = text;
    let exp = 0;
    const e = digits.search(/[eE]/);
    if (e >= 0) {
      exp = Number(digits.slice(e + 1));
      digits = digits.slice(0, e);
    }
    const dot = digits.indexOf('.');
    let scale = 0;
    if (dot >= 0) {
      scale = digits.length - dot - 1;
      digits = digits.slice(0, dot) + digits.slice(dot + 1);
    }
    scale -= exp;
    let units = BigInt(digits);
    if (scale < 0) {
      units *= 10n ** BigInt(-scale);
      scale = 0;
    }
    if (scale > this.scale) {
      this.units *= 10n ** BigInt(scale - this.scale);
      this.scale = scale;
    } else if (scale < this.scale) {
      units *= 10n ** BigInt(this.scale - scale);
    }
    this.units += units;
  }

  /** Plain decimal text without trailing zeros (`12.5`, `0`). */
  toString(): string {
    if (this.scale === 0) return this.units.toString();
    const s = this.units.toString().padStart(this.scale + 1, '0');
    const int = s.slice(0, s.length - this.scale);
    const frac = s.slice(s.length - this.scale).replace(/0+$/, '');
    return frac ? `${int}.${frac}` : int;
  }
}
