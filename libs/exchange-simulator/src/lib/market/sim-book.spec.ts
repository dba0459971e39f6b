import { type Level, OrderBook, type Side } from '@cryptoscalp/market';

import { Rng } from './rng';
import { SimBook } from './sim-book';

/**
 * Random sets on both books: alternating phases of mostly deletes and mostly inserts within the
 * top 400 levels (so the deep book spills to and refills from its far part), plus changes anywhere
 * and past the far end.
 */
function drive(levels: number, steps: number, check: (sim: SimBook, ref: OrderBook, rng: Rng) => void): void {
  const rng = new Rng(levels);
  const sim = new SimBook();
  const ref = new OrderBook();
  const mid = 1_000_000;
  for (let i = 0; i < levels; i++) {
    for (const [side, px] of [
      ['bid', mid - 1 - i * 4],
      ['ask', mid + 1 + i * 4],
    ] as const) {
      expect(sim.set(side, px, 1 + i)).toEqual(ref.set(side, px, 1 + i));
    }
  }
  for (let step = 0; step < steps; step++) {
    const side: Side = rng.chance(0.5) ? 'bid' : 'ask';
    const sign = side === 'bid' ? -1 : 1;
    const side0 = ref.levels(side);
    const deleting = rng.chance(Math.floor(step / 2000) % 2 === 0 ? 0.9 : 0.1);
    const roll = rng.next();
    let px: number;
    if (roll < 0.1) px = mid + sign * (1 + (side0.length + rng.int(0, 50)) * 4);
    else if (roll < 0.2) px = mid + sign * rng.int(1, 4 * side0.length + 8);
    else {
      const i = rng.int(0, Math.min(side0.length, 400));
      px = (side0[i]?.px ?? mid + sign * (1 + i * 4)) + (deleting ? 0 : sign * rng.int(1, 3));
    }
    const sz = deleting ? 0 : rng.int(1, 5);
    expect(sim.set(side, px, sz)).toEqual(ref.set(side, px, sz));
    if (step % 1009 === 0) check(sim, ref, rng);
  }
  check(sim, ref, rng);
}

const plain = (ls: Level[]) => ls.map((l) => `${l.px}:${l.sz}`).join(',');

describe('SimBook (against OrderBook from @cryptoscalp/market)', () => {
  it.each([
    [50, 10_000],
    [600, 20_000],
    [3000, 20_000],
  ])('%i levels per side: same changes, levels, find, top, best after %i random sets', (levels, steps) => {
    drive(levels, steps, (sim, ref, rng) => {
      for (const side of ['bid', 'ask'] as const) {
        expect(plain(sim.levels(side))).toEqual(plain(ref.levels(side)));
        expect(sim.count(side)).toBe(ref.levels(side).length);
        expect(sim.best(side)).toEqual(ref.best(side));
        const n = rng.int(0, ref.levels(side).length + 10);
        expect(sim.top(side, n)).toEqual(ref.top(side, n));
        const i = rng.int(0, ref.levels(side).length);
        expect(sim.at(side, i)).toEqual(ref.levels(side)[i]);
        const finds: [number, number][] = [];
        for (let k = 0; k < 50; k++) {
          const px = 1_000_000 + (side === 'bid' ? -1 : 1) * rng.int(0, 2 * ref.levels(side).length + 20);
          finds.push([sim.find(side, px), ref.find(side, px)]);
        }
        expect(finds.map(([a]) => a)).toEqual(finds.map(([, b]) => b));
      }
      expect(plain(sim.bids)).toEqual(plain(ref.bids));
      expect(plain(sim.asks)).toEqual(plain(ref.asks));
      expect(sim.isCrossed()).toBe(ref.isCrossed());
    });
  });
});
