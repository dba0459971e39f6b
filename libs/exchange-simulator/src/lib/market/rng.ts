/** Deterministic PRNG (mulberry32): the same seed gives the same market, frame for frame. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Geometric-ish small integer: mostly 0, 1, 2… (levels near the top of the book move most). */
  near(max: number, p = 0.35): number {
    let k = 0;
    while (k < max && this.next() > p) k++;
    return k;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** FNV-1a hash of a string: derives a per-symbol seed from the run seed. */
export function hashSeed(seed: number, text: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
