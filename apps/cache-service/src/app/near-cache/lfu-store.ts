/**
 * Bounded least-frequently-used map with O(1) operations: entries are grouped by use count;
 * when full, the least used entry is evicted (the oldest of those on a tie).
 */
export class LfuStore<V> {
  private readonly entries = new Map<string, { value: V; freq: number }>();
  private readonly byFreq = new Map<number, Set<string>>();
  private minFreq = 0;

  constructor(readonly max: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.bump(key, e);
    return e.value;
  }

  set(key: string, value: V): void {
    const e = this.entries.get(key);
    if (e) {
      e.value = value;
      this.bump(key, e);
      return;
    }
    if (this.entries.size >= this.max) this.evict();
    this.entries.set(key, { value, freq: 1 });
    this.bucket(1).add(key);
    this.minFreq = 1;
  }

  delete(key: string): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    this.entries.delete(key);
    this.remove(key, e.freq);
    return true;
  }

  clear(): void {
    this.entries.clear();
    this.byFreq.clear();
    this.minFreq = 0;
  }

  private bump(key: string, e: { freq: number }): void {
    this.remove(key, e.freq);
    if (e.freq === this.minFreq && !this.byFreq.has(e.freq)) this.minFreq++;
    e.freq++;
    this.bucket(e.freq).add(key);
  }

  private remove(key: string, freq: number): void {
    const set = this.byFreq.get(freq);
    set?.delete(key);
    if (set && set.size === 0) this.byFreq.delete(freq);
  }

  private bucket(freq: number): Set<string> {
    let set = this.byFreq.get(freq);
    if (!set) {
      set = new Set();
      this.byFreq.set(freq, set);
    }
    return set;
  }

  private evict(): void {
    let set = this.byFreq.get(this.minFreq);
    if (!set) {
      // minFreq is only a hint after deletions: find the smallest bucket.
      this.minFreq = Math.min(...this.byFreq.keys());
      set = this.byFreq.get(this.minFreq);
    }
    const victim = set?.values().next().value;
    if (victim !== undefined) this.delete(victim);
  }
}
