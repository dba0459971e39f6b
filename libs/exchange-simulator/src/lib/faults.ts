import type { VenueName } from './venues/venue';

export const FAULT_TYPES = [
  'drop', // close the connection abruptly (no close frame)
  'stall', // keep the socket open but hold every frame back for durationMs, then send them late, in order
  'gap', // skip `count` book updates of a symbol (a sequence gap)
  'duplicate', // send the next `count` frames twice
  'reorder', // swap the next frame with the one after it (`count` times); sent alone if none follows soon
  'malformed', // replace the next `count` frames with invalid JSON
  'truncate', // cut the next `count` frames in half
  'bad_checksum', // corrupt the checksum of the next `count` book updates (Kraken, OKX)
  'server_close', // the venue's own maintenance notice, then close (Binance serverShutdown, OKX 64008, …)
  'book_reset', // Bybit: a snapshot with u=1 (the client must reset its book)
  'rest_429', // REST: 429 with Retry-After
  'rest_418', // REST: 418 (IP ban) with Retry-After
  'rest_slow', // REST: answer after durationMs
  'refuse_subscribe', // reject the next subscription with the venue's error
  'connection_limit', // refuse new connections as over the venue's limit
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

export interface FaultSpec {
  type: FaultType;
  /** Only this venue (default: every venue). */
  venue?: VenueName;
  /** Only frames/requests of this normalized symbol (`BTC-USDT`). */
  symbol?: string;
  /** Only this connection id (see GET /api/connections). */
  connection?: number;
  /** How many frames, updates, requests or connections it affects (default 1). */
  count?: number;
  /** For stall and rest_slow: how long. */
  durationMs?: number;
  /** For rest_429/rest_418: the Retry-After seconds (default 2). */
  retryAfterSec?: number;
  /** Scenario files: arm the fault this long after start. */
  atMs?: number;
}

export interface ActiveFault extends FaultSpec {
  id: number;
  remaining: number;
  armedAt: number;
  applied: number;
}

export interface FaultTarget {
  venue: VenueName;
  symbol?: string;
  connection?: number;
}

/** Armed faults, consumed as they apply; every application is counted for the ground truth. */
export class FaultEngine {
  private nextId = 1;
  private readonly active: ActiveFault[] = [];
  readonly history: { id: number; type: FaultType; venue: VenueName; symbol?: string; connection?: number; at: number }[] = [];

  arm(spec: FaultSpec): ActiveFault {
    if (!FAULT_TYPES.includes(spec.type)) {
      throw new Error(`unknown fault type "${String(spec.type)}"; expected one of ${FAULT_TYPES.join(', ')}`);
    }
    const fault: ActiveFault = { ...spec, id: this.nextId++, remaining: spec.count ?? 1, armedAt: Date.now(), applied: 0 };
    this.active.push(fault);
    return fault;
  }

  /** How many faults are armed (a cheap check for hot paths). */
  get armed(): number {
    return this.active.length;
  }

  list(): ActiveFault[] {
    return [...this.active];
  }

  clear(id?: number): void {
    if (id === undefined) this.active.length = 0;
    else {
      const i = this.active.findIndex((f) => f.id === id);
      if (i >= 0) this.active.splice(i, 1);
    }
  }

  /** True when any fault of this type could apply to the venue (cheap pre-check for hot paths). */
  any(type: FaultType, venue: VenueName): boolean {
    if (this.active.length === 0) return false;
    return this.active.some((f) => f.type === type && (f.venue === undefined || f.venue === venue));
  }

  /** Consumes one application of a matching fault, or returns undefined. */
  take(type: FaultType, target: FaultTarget): ActiveFault | undefined {
    if (this.active.length === 0) return undefined;
    for (let i = 0; i < this.active.length; i++) {
      const f = this.active[i] as ActiveFault;
      if (f.type !== type) continue;
      if (f.venue !== undefined && f.venue !== target.venue) continue;
      if (f.symbol !== undefined && f.symbol !== target.symbol) continue;
      if (f.connection !== undefined && f.connection !== target.connection) continue;
      f.remaining--;
      f.applied++;
      this.history.push({ id: f.id, type, venue: target.venue, symbol: target.symbol, connection: target.connection, at: Date.now() });
      if (f.remaining <= 0) this.active.splice(i, 1);
      return f;
    }
    return undefined;
  }
}
