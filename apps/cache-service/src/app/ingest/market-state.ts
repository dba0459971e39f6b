import type { FeedStatus, L1, L2, Trade } from '@cryptoscalp/messaging';

import { type BookStaleReason, L2Book } from '../books/l2-book';
import { CandleBuilder } from '../candles/candle-builder';
import { CANDLE_INTERVALS, type CandleInterval, Keys } from '../market/keys';
import type { Command } from '../store/redis-store';

export interface MarketStateOptions {
  bookDepth: number;
  tradesMaxLen: number;
  candlesKeep: Record<CandleInterval, number>;
  l1TtlMs: number;
  bookTtlMs: number;
  historyTtlMs: number;
  bboStaleMs: number;
  maxPendingTrades: number;
  maxInstruments: number;
}

const L1_DIRTY = 1;
const BOOK_DIRTY = 2;
const STATUS_DIRTY = 4;
const TRADE_IDS_KEPT = 512;
/** History keys (trades, candles) get their PEXPIRE again at most this often (capped at a tenth of the TTL). */
const EXPIRE_REFRESH_MS = 1000;
const INTERVALS = Object.keys(CANDLE_INTERVALS) as CandleInterval[];
/** Feed states after which a book is not trusted until the next snapshot. */
const BOOK_STALE_STATES: ReadonlySet<string> = new Set(['gap', 'resync', 'checksum_mismatch', 'disconnected']);
/** Feed states after which a venue's quote is left out of the consolidated BBO. */
const QUOTE_DEAD_STATES: ReadonlySet<string> = new Set(['disconnected', 'stale']);

interface Instrument {
  venue: string;
  symbol: string;
  l1: L1 | undefined;
  /** Local time the L1 was applied. */
  l1At: number;
  book: L2Book | undefined;
  bookAt: number;
  status: FeedStatus | undefined;
  candles: Record<CandleInterval, CandleBuilder>;
  dirtyCandles: Record<CandleInterval, Set<number>>;
  tradeIds: Set<string>;
  tradeRing: string[];
  tradeRingAt: number;
  dirty: number;
  /** Exchange time of the newest update not yet written. */
  pendingTs: number;
}

interface PendingTrade {
  key: string;
  json: string;
  ts: number;
}

/** Counters since start (exported as metrics). */
export interface IngestCounters {
  updates: Record<'trade' | 'l1' | 'l2' | 'status', number>;
  /** Updates dropped before any write: out of order (older seq), duplicate trade, unsynced book, … */
  ignored: Record<'old_l1' | 'old_l2' | 'unsynced_l2' | 'duplicate_trade' | 'late_candle' | 'instrument_limit', number>;
  bookGaps: number;
  tradesDropped: number;
}

/** What one flush writes and, once Redis took it, puts in the near cache. */
export interface WriteBatch {
  commands: Command[];
  /** Point keys and their new value (the writer's near cache takes them; other replicas invalidate). */
  values: [key: string, value: string | undefined][];
  /** Updates (messages) this batch carries, for the conflation ratio. */
  updates: number;
  /** Newest exchange time among them (apply lag once written). */
  newestTs: number;
  trades: PendingTrade[];
  instruments: Instrument[];
  symbols: string[];
}

/**
 * The latest market state held in memory and the conflation in front of Redis: every update
 * changes the state and marks its keys dirty; `collect()` turns whatever is dirty into one batch of
 * commands (the latest value per key, latest by sequence), plus every trade in arrival order
 * (trades are never conflated). Plain TypeScript, no I/O: the hot path.
 */
export class MarketState {
  private readonly instruments = new Map<string, Instrument>();
  private readonly bySymbol = new Map<string, Instrument[]>();
  private dirtyInstruments = new Set<Instrument>();
  private dirtySymbols = new Set<string>();
  /** Per symbol: when the next included quote turns stale (the BBO must be recomputed then). */
  private readonly bboExpiry = new Map<string, number>();
  private trades: PendingTrade[] = [];
  private pendingUpdates = 0;
  /** History key → when its PEXPIRE was last sent (cleared whenever Redis may have lost it). */
  private readonly expireSentAt = new Map<string, number>();
  /** Candle key → newest bucket already trimmed to the kept count (a trim is due when a newer one opens). */
  private readonly trimmedUpTo = new Map<string, number>();
  private readonly expireRefreshMs: number;
  readonly counters: IngestCounters = {
    updates: { trade: 0, l1: 0, l2: 0, status: 0 },
    ignored: { old_l1: 0, old_l2: 0, unsynced_l2: 0, duplicate_trade: 0, late_candle: 0, instrument_limit: 0 },
    bookGaps: 0,
    tradesDropped: 0,
  };

  constructor(
    private readonly options: MarketStateOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.expireRefreshMs = Math.min(EXPIRE_REFRESH_MS, Math.floor(options.historyTtlMs / 10));
  }

  get instrumentCount(): number {
    return this.instruments.size;
  }

  get pendingTrades(): number {
    return this.trades.length;
  }

  get hasWork(): boolean {
    return this.dirtyInstruments.size > 0 || this.dirtySymbols.size > 0 || this.trades.length > 0;
  }

  applyL1(m: L1): void {
    this.counters.updates.l1++;
    const inst = this.instrument(m.venue, m.symbol);
    if (!inst) return;
    const prev = inst.l1;
    if (prev && (m.seq !== undefined && prev.seq !== undefined ? m.seq <= prev.seq : m.ts < prev.ts)) {
      this.counters.ignored.old_l1++;
      return;
    }
    inst.l1 = m;
    inst.l1At = this.now();
    this.touch(inst, L1_DIRTY, m.ts);
    this.dirtySymbols.add(m.symbol);
  }

  applyL2(m: L2): void {
    this.counters.updates.l2++;
    const inst = this.instrument(m.venue, m.symbol);
    if (!inst) return;
    const book = (inst.book ??= new L2Book());
    const result = book.apply(m.snapshot, m.bids, m.asks, m.seq, m.prevSeq, m.ts);
    if (result === 'old') {
      this.counters.ignored.old_l2++;
      return;
    }
    if (result === 'unsynced') {
      this.counters.ignored.unsynced_l2++;
      return;
    }
    if (result === 'gap') this.counters.bookGaps++;
    inst.bookAt = this.now();
    this.touch(inst, BOOK_DIRTY, m.ts);
    this.dirtySymbols.add(m.symbol);
  }

  applyStatus(m: FeedStatus): void {
    this.counters.updates.status++;
    const inst = this.instrument(m.venue, m.symbol);
    if (!inst) return;
    inst.status = m;
    let dirty = STATUS_DIRTY;
    if (BOOK_STALE_STATES.has(m.state) && inst.book) {
      inst.book.markStale(m.state as BookStaleReason);
      dirty |= BOOK_DIRTY;
    }
    this.touch(inst, dirty, m.ts);
    this.dirtySymbols.add(m.symbol);
  }

  applyTrade(m: Trade): void {
    this.counters.updates.trade++;
    const inst = this.instrument(m.venue, m.symbol);
    if (!inst) return;
    if (inst.tradeIds.has(m.id)) {
      this.counters.ignored.duplicate_trade++;
      return;
    }
    const evicted = inst.tradeRing[inst.tradeRingAt];
    if (evicted !== undefined) inst.tradeIds.delete(evicted);
    inst.tradeRing[inst.tradeRingAt] = m.id;
    inst.tradeRingAt = (inst.tradeRingAt + 1) % TRADE_IDS_KEPT;
    inst.tradeIds.add(m.id);

    if (this.trades.length >= this.options.maxPendingTrades) {
      // Redis is not taking writes: drop the oldest tenth at once (no O(n) shift per trade).
      const drop = Math.max(1, Math.ceil(this.trades.length / 10));
      this.trades.splice(0, drop);
      this.counters.tradesDropped += drop;
    }
    const json = `{"venue":"${m.venue}","symbol":"${m.symbol}","id":${JSON.stringify(m.id)},"price":"${m.price}","size":"${m.size}","side":"${m.side}","ts":${m.ts},"recvTs":${m.recvTs}}`;
    this.trades.push({ key: Keys.trades(m.venue, m.symbol), json, ts: m.ts });
    for (const interval of INTERVALS) {
      const t = inst.candles[interval].add(m.price, m.size, m.ts);
      if (t === undefined) this.counters.ignored.late_candle++;
      else inst.dirtyCandles[interval].add(t);
    }
    this.touch(inst, 0, m.ts);
  }

  /** Everything held is written again on the next flush (after Redis came back empty). */
  markAllDirty(): void {
    this.forgetHistoryWrites();
    for (const inst of this.instruments.values()) {
      inst.dirty = L1_DIRTY | BOOK_DIRTY | STATUS_DIRTY;
      for (const interval of INTERVALS) for (const t of inst.candles[interval].held()) inst.dirtyCandles[interval].add(t);
      this.dirtyInstruments.add(inst);
      this.dirtySymbols.add(inst.symbol);
    }
  }

  /** Marks for recomputation every BBO one of whose quotes has turned stale since it was written. */
  sweepStaleQuotes(): void {
    const now = this.now();
    for (const [symbol, at] of this.bboExpiry) {
      if (at <= now) {
        this.bboExpiry.delete(symbol);
        this.dirtySymbols.add(symbol);
      }
    }
  }

  /** Takes everything dirty as one batch of commands; the state is clean afterwards. */
  collect(): WriteBatch {
    const o = this.options;
    const commands: Command[] = [];
    const values: WriteBatch['values'] = [];
    const instruments = [...this.dirtyInstruments];
    const symbols = [...this.dirtySymbols];
    let newestTs = 0;
    this.dirtyInstruments = new Set();
    this.dirtySymbols = new Set();

    const trades = this.trades;
    this.trades = [];
    const historyTtl = String(o.historyTtlMs);
    const touchedTradeKeys = new Set<string>();
    for (const t of trades) {
      commands.push(['xadd', t.key, 'MAXLEN', String(o.tradesMaxLen), '*', 'd', t.json]);
      touchedTradeKeys.add(t.key);
    }
    const now = this.now();
    for (const key of touchedTradeKeys) if (this.expireDue(key, now)) commands.push(['pexpire', key, historyTtl]);

    for (const inst of instruments) {
      if (inst.pendingTs > newestTs) newestTs = inst.pendingTs;
      inst.pendingTs = 0;
      const { venue, symbol } = inst;
      // TTLs count from the last update, also when a state is written again after an outage.
      const l1Ttl = o.l1TtlMs - (now - inst.l1At);
      if (inst.dirty & L1_DIRTY && inst.l1 && l1Ttl > 0) {
        const key = Keys.l1(venue, symbol);
        const value = JSON.stringify(inst.l1);
        commands.push(['set', key, value, 'PX', String(l1Ttl)]);
        values.push([key, value]);
      }
      const bookTtl = o.bookTtlMs - (now - inst.bookAt);
      if (inst.dirty & BOOK_DIRTY && inst.book?.synced && bookTtl > 0) {
        const b = inst.book;
        const key = Keys.book(venue, symbol);
        const doc = {
          venue,
          symbol,
          seq: b.seq,
          bids: b.bids(o.bookDepth),
          asks: b.asks(o.bookDepth),
          ts: b.ts,
          ...(b.staleReason ? { stale: b.staleReason } : {}),
        };
        const value = JSON.stringify(doc);
        commands.push(['set', key, value, 'PX', String(bookTtl)]);
        values.push([key, value]);
      }
      if (inst.dirty & STATUS_DIRTY && inst.status) {
        const key = Keys.status(venue, symbol);
        const value = JSON.stringify(inst.status);
        commands.push(['set', key, value, 'PX', historyTtl]);
        values.push([key, value]);
      }
      inst.dirty = 0;
      for (const interval of INTERVALS) {
        const dirty = inst.dirtyCandles[interval];
        if (dirty.size === 0) continue;
        const key = Keys.candles(interval, venue, symbol);
        const trimmed = this.trimmedUpTo.get(key) ?? -Infinity;
        let newest = trimmed;
        for (const t of dirty) {
          const c = inst.candles[interval].candle(t);
          if (!c) continue;
          commands.push(['zremrangebyscore', key, String(t), String(t)], ['zadd', key, String(t), JSON.stringify(c)]);
          if (t > newest) newest = t;
        }
        // Only a new bucket can push the set past the kept count; rewriting the open one cannot.
        if (newest > trimmed) {
          commands.push(['zremrangebyrank', key, '0', String(-o.candlesKeep[interval] - 1)]);
          this.trimmedUpTo.set(key, newest);
        }
        if (this.expireDue(key, now)) commands.push(['pexpire', key, historyTtl]);
        dirty.clear();
      }
    }

    for (const symbol of symbols) {
      const key = Keys.bbo(symbol);
      const value = this.bbo(symbol);
      if (value === undefined) commands.push(['del', key]);
      else commands.push(['set', key, value, 'PX', String(o.bboStaleMs)]);
      values.push([key, value]);
    }
    const updates = this.pendingUpdates;
    this.pendingUpdates = 0;
    return { commands, values, updates, newestTs, trades, instruments, symbols };
  }

  /** A batch Redis did not take: its keys are dirty again, its trades wait again (bounded). */
  restore(batch: WriteBatch): void {
    this.forgetHistoryWrites();
    for (const inst of batch.instruments) {
      inst.dirty = L1_DIRTY | BOOK_DIRTY | STATUS_DIRTY;
      for (const interval of INTERVALS) for (const t of inst.candles[interval].held()) inst.dirtyCandles[interval].add(t);
      this.dirtyInstruments.add(inst);
    }
    for (const s of batch.symbols) this.dirtySymbols.add(s);
    const room = this.options.maxPendingTrades - this.trades.length;
    const keep = batch.trades.length > room ? batch.trades.slice(batch.trades.length - Math.max(0, room)) : batch.trades;
    this.counters.tradesDropped += batch.trades.length - keep.length;
    this.trades = keep.concat(this.trades);
    this.pendingUpdates += batch.updates;
  }

  /** The consolidated best bid/ask of a symbol across venues (JSON), or undefined when no venue is fresh. */
  bbo(symbol: string): string | undefined {
    const now = this.now();
    const staleMs = this.options.bboStaleMs;
    let bid: { venue: string; px: string; sz: string; n: number; ts: number } | undefined;
    let ask: typeof bid;
    let venues = 0;
    let nextExpiry = Infinity;
    for (const inst of this.bySymbol.get(symbol) ?? []) {
      if (inst.status && QUOTE_DEAD_STATES.has(inst.status.state)) continue;
      let q: { bidPx: string; bidSz: string; askPx: string; askSz: string; ts: number; at: number } | undefined;
      if (inst.l1 && now - inst.l1At <= staleMs) q = { ...inst.l1, at: inst.l1At };
      else if (inst.book && !inst.book.stale && inst.book.synced && now - inst.bookAt <= staleMs) {
        const b = inst.book.bestBid();
        const a = inst.book.bestAsk();
        if (b && a) q = { bidPx: b[0], bidSz: b[1], askPx: a[0], askSz: a[1], ts: inst.book.ts, at: inst.bookAt };
      }
      if (!q) continue;
      venues++;
      nextExpiry = Math.min(nextExpiry, q.at + staleMs + 1);
      const bn = Number(q.bidPx);
      const an = Number(q.askPx);
      if (bn > 0 && (!bid || bn > bid.n)) bid = { venue: inst.venue, px: q.bidPx, sz: q.bidSz, n: bn, ts: q.ts };
      if (an > 0 && (!ask || an < ask.n)) ask = { venue: inst.venue, px: q.askPx, sz: q.askSz, n: an, ts: q.ts };
    }
    if (nextExpiry !== Infinity) this.bboExpiry.set(symbol, nextExpiry);
    else this.bboExpiry.delete(symbol);
    if (venues === 0) return undefined;
    const side = (s: typeof bid) => (s ? { venue: s.venue, px: s.px, sz: s.sz, ts: s.ts } : null);
    return JSON.stringify({ symbol, bid: side(bid), ask: side(ask), venues, ts: now });
  }

  /** The in-memory book (tests, diagnostics). */
  book(venue: string, symbol: string): L2Book | undefined {
    return this.instruments.get(`${venue}:${symbol}`)?.book;
  }

  /** A PEXPIRE of a history key is due (never sent, or over a second ago); records it as sent. */
  private expireDue(key: string, now: number): boolean {
    const at = this.expireSentAt.get(key);
    if (at !== undefined && now - at < this.expireRefreshMs) return false;
    this.expireSentAt.set(key, now);
    return true;
  }

  /** Redis may not have what was written (failed batch, reconnect): trims and TTLs are sent again. */
  private forgetHistoryWrites(): void {
    this.expireSentAt.clear();
    this.trimmedUpTo.clear();
  }

  private touch(inst: Instrument, flags: number, ts: number): void {
    inst.dirty |= flags;
    if (ts > inst.pendingTs) inst.pendingTs = ts;
    this.dirtyInstruments.add(inst);
    this.pendingUpdates++;
  }

  private instrument(venue: string, symbol: string): Instrument | undefined {
    const id = `${venue}:${symbol}`;
    let inst = this.instruments.get(id);
    if (inst) return inst;
    if (this.instruments.size >= this.options.maxInstruments) {
      this.counters.ignored.instrument_limit++;
      return undefined;
    }
    inst = {
      venue,
      symbol,
      l1: undefined,
      l1At: 0,
      book: undefined,
      bookAt: 0,
      status: undefined,
      candles: { '1s': new CandleBuilder(CANDLE_INTERVALS['1s']), '1m': new CandleBuilder(CANDLE_INTERVALS['1m']) },
      dirtyCandles: { '1s': new Set(), '1m': new Set() },
      tradeIds: new Set(),
      tradeRing: new Array<string>(TRADE_IDS_KEPT),
      tradeRingAt: 0,
      dirty: 0,
      pendingTs: 0,
    };
    this.instruments.set(id, inst);
    let list = this.bySymbol.get(symbol);
    if (!list) this.bySymbol.set(symbol, (list = []));
    list.push(inst);
    return inst;
  }
}
