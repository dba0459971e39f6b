import type { LevelChange, Side } from '@cryptoscalp/market';

import type { Instrument } from './instrument';
import { hashSeed, Rng } from './rng';
import { SimBook } from './sim-book';

const SIDES = ['bid', 'ask'] as const;

export interface SimTrade {
  /** Venue-independent, strictly increasing per symbol. */
  id: number;
  px: number;
  sz: number;
  /** Taker side. */
  side: 'buy' | 'sell';
}

/** Everything one market event did: book changes (and the trade that caused them, if any). */
export interface MarketEvent {
  /** Book sequence after this event (strictly increasing by 1 per event). */
  seq: number;
  changes: LevelChange[];
  trade?: SimTrade;
}

export interface MarketOptions {
  seed: number;
  /** Levels kept per side (the book never has more; trims emit deletions). */
  maxLevels?: number;
  /** Share of events that are trades (0..1). */
  tradeRatio?: number;
}

/**
 * A deterministic synthetic market for one instrument: a many-level book that changes
 * realistically near the touch, and trades that consume liquidity. The book is uncrossed by
 * construction, so snapshots and checksums derived from it are always consistent.
 */
export class SyntheticMarket {
  readonly book = new SimBook();
  private readonly rng: Rng;
  private readonly maxLevels: number;
  private readonly tradeRatio: number;
  seq = 1;
  tradeId = 0;
  /** Last trade price (ticks) and 24 h-style aggregates for tickers. */
  lastPx: number;
  volume = 0;
  high: number;
  low: number;
  readonly openPx: number;

  constructor(
    readonly instrument: Instrument,
    options: MarketOptions,
  ) {
    this.rng = new Rng(hashSeed(options.seed, instrument.symbol));
    this.maxLevels = options.maxLevels ?? 200;
    this.tradeRatio = options.tradeRatio ?? 0.25;
    const mid = instrument.startPriceTicks;
    const spread = Math.max(1, Math.round(mid * 0.00005));
    for (let i = 0; i < this.maxLevels; i++) {
      this.book.set('bid', mid - spread - i * this.gap(), this.lot());
      this.book.set('ask', mid + spread + i * this.gap(), this.lot());
    }
    this.lastPx = this.openPx = this.high = this.low = mid;
  }

  private gap(): number {
    return this.rng.int(1, 3);
  }

  private lot(): number {
    const base = 10 ** Math.max(0, this.instrument.sizeDecimals - 2);
    return base * this.rng.int(1, 500);
  }

  /** Advances the market by one event. */
  step(): MarketEvent {
    const changes: LevelChange[] = [];
    let trade: SimTrade | undefined;
    if (this.rng.chance(this.tradeRatio)) trade = this.trade(changes);
    else this.quote(changes);
    this.replenish(changes);
    // The book sequence counts book changes: consecutive diffs have consecutive sequence numbers.
    if (changes.length) this.seq++;
    return trade ? { seq: this.seq, changes, trade } : { seq: this.seq, changes };
  }

  private push(changes: LevelChange[], side: Side, px: number, sz: number): void {
    const c = this.book.set(side, px, sz);
    if (c) changes.push(c);
  }

  private trade(changes: LevelChange[]): SimTrade | undefined {
    const takerBuys = this.rng.chance(0.5);
    const side: Side = takerBuys ? 'ask' : 'bid';
    const best = this.book.best(side);
    if (!best) return undefined;
    const sz = Math.max(1, Math.min(best.sz, Math.ceil(best.sz * this.rng.next())));
    const px = best.px;
    this.push(changes, side, px, best.sz - sz);
    this.tradeId++;
    this.lastPx = px;
    this.volume += sz;
    this.high = Math.max(this.high, px);
    this.low = Math.min(this.low, px);
    return { id: this.tradeId, px, sz, side: takerBuys ? 'buy' : 'sell' };
  }

  private quote(changes: LevelChange[]): void {
    const side: Side = this.rng.chance(0.5) ? 'bid' : 'ask';
    const book = this.book;
    const count = book.count(side);
    const roll = this.rng.next();
    const bestBid = this.book.best('bid')?.px ?? this.lastPx - 1;
    const bestAsk = this.book.best('ask')?.px ?? this.lastPx + 1;
    if (roll < 0.2 && bestAsk - bestBid > 1) {
      // Improve the touch inside the spread (never crossing).
      const px = side === 'bid' ? this.rng.int(bestBid + 1, bestAsk - 1) : this.rng.int(bestBid + 1, bestAsk - 1);
      this.push(changes, side, px, this.lot());
      return;
    }
    const i = this.rng.near(Math.min(count - 1, 40));
    const level = book.at(side, i);
    if (!level) return;
    if (roll < 0.35 && count > 10) {
      this.push(changes, side, level.px, 0); // cancel a level
    } else if (roll < 0.55) {
      // New level just behind this one.
      const px = side === 'bid' ? level.px - 1 : level.px + 1;
      const other = side === 'bid' ? bestAsk : bestBid;
      if ((side === 'bid' && px < other) || (side === 'ask' && px > other)) this.push(changes, side, px, this.lot());
    } else {
      this.push(changes, side, level.px, Math.max(1, level.sz + (this.rng.chance(0.5) ? 1 : -1) * this.lot()));
    }
  }

  /** Keeps each side between maxLevels/2 and maxLevels deep (trims and refills at the far end). */
  private replenish(changes: LevelChange[]): void {
    const book = this.book;
    for (const side of SIDES) {
      while (book.count(side) > this.maxLevels) {
        const worst = book.at(side, book.count(side) - 1);
        if (!worst) break;
        this.push(changes, side, worst.px, 0);
      }
      const count = book.count(side);
      if (count < this.maxLevels / 2) {
        const worst = book.at(side, count - 1)?.px ?? (side === 'bid' ? this.lastPx - 1 : this.lastPx + 1);
        const px = side === 'bid' ? worst - this.gap() : worst + this.gap();
        if (px > 0) this.push(changes, side, px, this.lot());
      }
    }
  }
}
