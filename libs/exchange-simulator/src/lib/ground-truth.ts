import type { VenueName } from './venues/venue';

interface SymbolTruth {
  counts: Record<string, number>;
  firstTradeId?: number;
  lastTradeId?: number;
  /** Distinct trade ids that went out on at least one connection. */
  tradesSent: number;
  firstSeq?: number;
  lastSeq?: number;
  /** Book sequence ranges deliberately skipped by gap faults. */
  skipped: [number, number][];
}

interface SymbolState extends Omit<SymbolTruth, 'tradesSent'> {
  /** Trade ids sent, as disjoint ascending ranges (ids are sequential, so this stays tiny). */
  sentTrades: [number, number][];
  /** The last trade recorded with `trade()` and not yet attributed to a frame. */
  pendingTrade?: number;
}

/** Frame kinds that carry trades (the venues' trade channels). */
const TRADE_KINDS = new Set(['trade', 'aggTrade', 'trades', 'publicTrade', 'match']);
const MAX_DISCONNECTIONS_KEPT = 1000;

/** Per venue: whether its venue reports the trade ids of its frames itself (`tradesSent`). */
interface VenueState {
  explicitTrades: boolean;
}

/**
 * The ground truth of one venue and symbol, for a venue's per-event path: the same bookkeeping
 * as `GroundTruth.sent/trade/tradesSent/seq` without looking the symbol up again for every frame
 * (`GroundTruth.symbol(venue, symbol)` hands it out once).
 */
export class SymbolTally {
  /** @internal */
  readonly state: SymbolState = { counts: {}, skipped: [], sentTrades: [] };

  constructor(
    private readonly owner: GroundTruth,
    private readonly venue: VenueState,
  ) {}

  /** `n` frames of a kind went out (see `GroundTruth.sent`). */
  sent(kind: string, n = 1): void {
    const s = this.state;
    s.counts[kind] = (s.counts[kind] ?? 0) + n;
    this.owner.framesSent += n;
    if (n > 0 && s.pendingTrade !== undefined && !this.venue.explicitTrades && TRADE_KINDS.has(kind)) {
      addId(s.sentTrades, s.pendingTrade);
      s.pendingTrade = undefined;
    }
  }

  /** A trade happened on the venue's market (before its frames are sent). */
  trade(id: number): void {
    const s = this.state;
    s.firstTradeId ??= id;
    s.lastTradeId = id;
    s.pendingTrade = id;
  }

  /** Trade ids `from`..`to` went out on at least one connection (frames that carry several trades). */
  tradeRangeSent(from: number, to: number): void {
    this.venue.explicitTrades = true;
    for (let id = from; id <= to; id++) addId(this.state.sentTrades, id);
  }

  tradesSent(ids: Iterable<number>): void {
    this.venue.explicitTrades = true;
    for (const id of ids) addId(this.state.sentTrades, id);
  }

  /**
   * Earlier trades sent again on subscribe (Kraken's trade snapshot, Coinbase's `last_match`): they
   * went out too, without changing how the venue's live trade frames are counted.
   */
  tradesReplayed(ids: Iterable<number>): void {
    for (const id of ids) addId(this.state.sentTrades, id);
  }

  seq(seq: number): void {
    const s = this.state;
    s.firstSeq ??= seq;
    s.lastSeq = seq;
  }
}

/** Why the simulator closed a client connection itself. */
export type DisconnectReason = 'slow_consumer';

export interface Disconnection {
  id: number;
  venue: VenueName;
  reason: DisconnectReason;
  /** Bytes queued for the client when it was disconnected. */
  queuedBytes: number;
  at: number;
}

/**
 * Exactly what the simulator sent, per venue, symbol and kind of frame, with trade-id and
 * sequence ranges, distinct trades sent, and the clients it disconnected: a test or benchmark
 * compares what arrived downstream against this.
 */
export class GroundTruth {
  private readonly venues = new Map<VenueName, Map<string, SymbolTally>>();
  private readonly venueStates = new Map<VenueName, VenueState>();
  private readonly disconnectCounts = new Map<VenueName, Record<string, number>>();
  readonly disconnections: Disconnection[] = [];
  framesSent = 0;
  /** Market events the generator skipped because its timer ran later than its catch-up window. */
  private eventsBehind = 0;

  /** The generator fell behind its rates by `events` (fractional: per-market shares of a late tick). */
  behind(events: number): void {
    this.eventsBehind += events;
  }

  /** The tally of one venue and symbol (created on first use); venues keep it for their hot path. */
  symbol(venue: VenueName, symbol: string): SymbolTally {
    let v = this.venues.get(venue);
    if (!v) this.venues.set(venue, (v = new Map()));
    let s = v.get(symbol);
    if (!s) {
      let vs = this.venueStates.get(venue);
      if (!vs) this.venueStates.set(venue, (vs = { explicitTrades: false }));
      v.set(symbol, (s = new SymbolTally(this, vs)));
    }
    return s;
  }

  private of(venue: VenueName, symbol: string): SymbolState {
    return this.symbol(venue, symbol).state;
  }

  /**
   * Counts `n` frames of a kind sent (to all subscribers of it, one per subscriber). A trade
   * frame that went out marks the last recorded trade as sent, unless the venue reports its
   * trade ids itself (`tradesSent`, for frames that batch several trades).
   */
  sent(venue: VenueName, symbol: string, kind: string, n = 1): void {
    this.symbol(venue, symbol).sent(kind, n);
  }

  /** A trade happened on the venue's market (before its frames are sent). */
  trade(venue: VenueName, symbol: string, id: number): void {
    this.symbol(venue, symbol).trade(id);
  }

  /** These trade ids went out on at least one connection (venues whose frames carry several trades). */
  tradesReplayed(venue: VenueName, symbol: string, ids: Iterable<number>): void {
    this.symbol(venue, symbol).tradesReplayed(ids);
  }

  tradesSent(venue: VenueName, symbol: string, ids: Iterable<number>): void {
    this.symbol(venue, symbol).tradesSent(ids);
  }

  seq(venue: VenueName, symbol: string, seq: number): void {
    this.symbol(venue, symbol).seq(seq);
  }

  skipped(venue: VenueName, symbol: string, from: number, to: number): void {
    const s = this.of(venue, symbol);
    const last = s.skipped[s.skipped.length - 1];
    if (last && last[1] + 1 === from) last[1] = to;
    else s.skipped.push([from, to]);
  }

  disconnected(d: Disconnection): void {
    const counts = this.disconnectCounts.get(d.venue) ?? {};
    counts[d.reason] = (counts[d.reason] ?? 0) + 1;
    this.disconnectCounts.set(d.venue, counts);
    this.disconnections.push(d);
    if (this.disconnections.length > MAX_DISCONNECTIONS_KEPT) this.disconnections.shift();
  }

  report(): {
    framesSent: number;
    eventsBehind: number;
    venues: Record<string, Record<string, SymbolTruth>>;
    disconnects: Record<string, Record<string, number>>;
  } {
    const venues: Record<string, Record<string, SymbolTruth>> = {};
    for (const [venue, symbols] of this.venues) {
      venues[venue] = Object.fromEntries(
        [...symbols].map(([k, tally]) => {
          const v = tally.state;
          const { sentTrades, pendingTrade: _pending, ...rest } = v;
          const truth: SymbolTruth = {
            ...rest,
            counts: { ...v.counts },
            tradesSent: sentTrades.reduce((n, [a, b]) => n + b - a + 1, 0),
            skipped: v.skipped.map((r) => [...r] as [number, number]),
          };
          return [k, truth];
        }),
      );
    }
    const disconnects = Object.fromEntries([...this.disconnectCounts].map(([v, c]) => [v, { ...c }]));
    return { framesSent: this.framesSent, eventsBehind: Math.round(this.eventsBehind), venues, disconnects };
  }
}

/** Adds an id to disjoint ascending ranges (fast path: the next id after the last range). */
function addId(ranges: [number, number][], id: number): void {
  const last = ranges[ranges.length - 1];
  if (last && id >= last[0]) {
    if (id <= last[1]) return;
    if (id === last[1] + 1) {
      last[1] = id;
      return;
    }
    ranges.push([id, id]);
    return;
  }
  // Out of order (rare): find the place, insert or extend, merge neighbours.
  let i = 0;
  while (i < ranges.length && (ranges[i] as [number, number])[1] < id - 1) i++;
  const r = ranges[i];
  if (!r || id < r[0] - 1) {
    ranges.splice(i, 0, [id, id]);
    return;
  }
  if (id >= r[0] && id <= r[1]) return;
  if (id === r[0] - 1) r[0] = id;
  else r[1] = id;
  const next = ranges[i + 1];
  if (next && r[1] + 1 >= next[0]) {
    r[1] = Math.max(r[1], next[1]);
    ranges.splice(i + 1, 1);
  }
}
