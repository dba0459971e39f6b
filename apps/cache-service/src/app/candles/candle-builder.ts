import { DecimalSum } from './decimal-sum';

/** One OHLCV candle. Prices are the trades' own decimal strings; volume is their exact sum. */
export interface Candle {
  /** Bucket start, epoch ms (exchange time). */
  t: number;
  o: string;
  h: string;
  l: string;
  c: string;
  v: string;
  /** Number of trades. */
  n: number;
}

interface Bucket {
  t: number;
  o: string;
  h: string;
  hNum: number;
  l: string;
  lNum: number;
  c: string;
  cTs: number;
  openTs: number;
  v: DecimalSum;
  n: number;
}

/**
 * Rolling candles of one interval built from trades by exchange time. The current and the
 * previous bucket are kept in memory (a late trade still lands in the previous candle); a trade
 * older than that is counted as `late` and ignored. Open is the earliest trade by time, close the
 * latest (ties: arrival order).
 */
export class CandleBuilder {
  private current: Bucket | undefined;
  private previous: Bucket | undefined;
  late = 0;

  constructor(readonly intervalMs: number) {}

  /** Adds a trade; returns the bucket start it changed, or undefined when the trade was too late. */
  add(price: string, size: string, ts: number): number | undefined {
    const t = ts - (ts % this.intervalMs);
    let b: Bucket | undefined;
    if (this.current === undefined || t > this.current.t) {
      this.previous = this.current !== undefined && t - this.current.t === this.intervalMs ? this.current : undefined;
      b = this.current = CandleBuilder.open(t, price, ts);
    } else if (t === this.current.t) {
      b = this.current;
    } else if (this.previous !== undefined && t === this.previous.t) {
      b = this.previous;
    } else {
      this.late++;
      return undefined;
    }
    const p = Number(price);
    if (b.n > 0) {
      if (p > b.hNum) {
        b.h = price;
        b.hNum = p;
      }
      if (p < b.lNum) {
        b.l = price;
        b.lNum = p;
      }
      if (ts >= b.cTs) {
        b.c = price;
        b.cTs = ts;
      }
      if (ts < b.openTs) {
        b.o = price;
        b.openTs = ts;
      }
    }
    b.v.add(size);
    b.n++;
    return t;
  }

  /** The candle starting at `t`, if it is still held. */
  candle(t: number): Candle | undefined {
    const b = this.current?.t === t ? this.current : this.previous?.t === t ? this.previous : undefined;
    return b && { t: b.t, o: b.o, h: b.h, l: b.l, c: b.c, v: b.v.toString(), n: b.n };
  }

  /** Bucket starts held in memory (current first). */
  held(): number[] {
    const out: number[] = [];
    if (this.current) out.push(this.current.t);
    if (this.previous) out.push(this.previous.t);
    return out;
  }

  private static open(t: number, price: string, ts: number): Bucket {
    const p = Number(price);
    return { t, o: price, h: price, hNum: p, l: price, lNum: p, c: price, cTs: ts, openTs: ts, v: new DecimalSum(), n: 0 };
  }
}
