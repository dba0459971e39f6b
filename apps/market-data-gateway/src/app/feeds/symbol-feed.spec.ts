import type { FeedStatus } from '@cryptoscalp/messaging';

import type { MarketSink } from '../publishing/market-sink';
import type { CarriedSymbol } from '../venues/venue-adapter';
import { SymbolFeed } from './symbol-feed';
import { NOOP_METRICS } from './venue-metrics';

const BTC: CarriedSymbol = {
  symbol: 'BTC-USD',
  native: 'BTC/USD',
  channels: ['l2'],
  instrument: { symbol: 'BTC-USD', base: 'BTC', quote: 'USD', priceDecimals: 1, sizeDecimals: 8 },
};

function feed() {
  let now = 1_000_000;
  const statuses: FeedStatus[] = [];
  const sink: MarketSink = { trade: () => undefined, l1: () => undefined, l2: () => undefined, status: (m) => statuses.push(m) };
  const f = new SymbolFeed('kraken', BTC, sink, NOOP_METRICS, () => now);
  return { f, statuses, advance: (ms: number) => (now += ms) };
}

const delta = { snapshot: false, bids: [['1', '1']] as [string, string][], asks: [], seq: 2, prevSeq: 1, ts: 1, recvTs: 1 };

describe('SymbolFeed activity for the adaptive stale watchdog', () => {
  it('book traffic is activity: a symbol carrying only l2 deltas is never called stale while they flow, and a delta ends a stale spell', () => {
    const h = feed();
    for (let i = 0; i < 10; i++) {
      h.advance(100);
      h.f.l2(delta);
    }
    expect(h.f.lastMessageAt).toBeGreaterThan(0);
    h.advance(1000);
    expect(h.f.checkStale(500, 20)).toBe(false); // 1 s of silence < 20 × 100 ms
    h.advance(5000);
    expect(h.f.checkStale(500, 20)).toBe(true);
    h.f.l2(delta);
    expect(h.statuses.map((s) => s.state)).toEqual(['stale', 'connected']);
  });

  it('idle(): the venue confirms the connection is idle, not broken (Kraken heartbeat) — silence up to then is not staleness', () => {
    const h = feed();
    for (let i = 0; i < 5; i++) {
      h.advance(100);
      h.f.l2(delta);
    }
    h.advance(3000);
    h.f.idle();
    h.advance(1000);
    expect(h.f.checkStale(2000, 20)).toBe(false); // 4 s since the last delta, 1 s since the heartbeat
    expect(h.statuses).toEqual([]);
    h.advance(2500); // heartbeats stopped too: stale
    expect(h.f.checkStale(2000, 20)).toBe(true);
  });
});

describe('SymbolFeed status events', () => {
  it('disconnected is published once per outage: a reconnect that closes again before the symbol is connected adds nothing', () => {
    const h = feed();
    h.f.status('connected', 'book synced');
    h.f.status('disconnected', 'connection closed (1006)');
    h.f.status('disconnected', 'connection closed (1008 connection limit exceeded)'); // accepted, then refused
    expect(h.f.state).toBe('disconnected');
    h.f.status('connected', 'book synced');
    h.f.status('disconnected', 'connection closed (1006)'); // a new outage
    expect(h.statuses.map((s) => s.state)).toEqual(['connected', 'disconnected', 'connected', 'disconnected']);
  });

  it('resync is published once per outage of the book: asked again before it is connected adds nothing', () => {
    const h = feed();
    h.f.status('connected', 'book synced');
    h.f.status('resync', 'unreadable l2update');
    h.f.status('resync', 'unreadable snapshot'); // the same fault's second frame
    expect(h.f.state).toBe('resyncing');
    h.f.status('connected', 'snapshot replaced the book');
    h.f.status('gap', 'update 9..9 does not follow 7');
    h.f.status('resync', 'sequence gap'); // a new outage
    expect(h.statuses.map((s) => s.state)).toEqual(['connected', 'resync', 'connected', 'gap', 'resync']);
    expect(h.f.counts.resyncs).toBe(2);
  });
});
