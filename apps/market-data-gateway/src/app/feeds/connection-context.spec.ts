import type { FeedStatus } from '@cryptoscalp/messaging';

import type { MarketSink } from '../publishing/market-sink';
import type { CarriedSymbol } from '../venues/venue-adapter';
import { ConnectionContext } from './connection-context';
import { SymbolFeed } from './symbol-feed';
import { NOOP_METRICS, type VenueMetrics } from './venue-metrics';

const sym = (symbol: string): CarriedSymbol => ({
  symbol,
  native: symbol,
  channels: ['l2'],
  instrument: { symbol, base: symbol.split('-')[0] as string, quote: 'USD', priceDecimals: 1, sizeDecimals: 1 },
});

function context(withPacer = true) {
  const checksums: boolean[] = [];
  let parseErrors = 0;
  const metrics: VenueMetrics = { ...NOOP_METRICS, checksum: (ok) => checksums.push(ok), parseError: () => parseErrors++ };
  const statuses: FeedStatus[] = [];
  const sink: MarketSink = { trade: () => undefined, l1: () => undefined, l2: () => undefined, status: (m) => statuses.push(m) };
  const symbols = [sym('BTC-USD'), sym('ETH-USD')];
  const feeds = new Map(symbols.map((s) => [s.symbol, new SymbolFeed('kraken', s, sink, metrics)]));
  const now: string[] = [];
  const paced: string[][] = [];
  const warnings: string[] = [];
  const ctx = new ConnectionContext(
    'kraken',
    { wsUrl: 'ws://x/v2', restUrl: 'http://x', bookDepth: 10 },
    { getJson: () => Promise.reject(new Error('no')) },
    feeds,
    symbols,
    {
      send: (t) => now.push(t),
      ...(withPacer ? { sendPaced: (ts: readonly string[]) => paced.push([...ts]) } : {}),
      rotate: () => undefined,
      warn: (m) => warnings.push(m),
      metrics,
    },
  );
  return { ctx, feeds, checksums, statuses, now, paced, warnings, parseErrors: () => parseErrors, symbols };
}

describe('ConnectionContext hooks', () => {
  it('cs_gateway_checksums_total counts update and snapshot checksums and the mismatches an adapter reports with fail()', () => {
    const h = context();
    const book = h.ctx.book(h.symbols[0] as CarriedSymbol, {
      requestSnapshot: () => Promise.resolve(undefined),
      continuity: () => 'apply',
      checksum: (view, u) => view.top('bid', 10).length === u.checksum,
    });
    book.snapshot({ seq: 1, bids: [['1', '1']], asks: [['2', '1']], ts: 1, recvTs: 1, checksum: 1 });
    book.update({ first: 2, last: 2, bids: [['1.5', '1']], asks: [], checksum: 2, ts: 1, recvTs: 1 });
    book.fail('checksum_mismatch', 'found by the adapter');
    expect(h.checksums).toEqual([true, true, false]);
    expect(h.statuses.map((s) => s.state)).toEqual(['connected', 'checksum_mismatch', 'resync']);
  });

  it('sendPaced goes through the connection pacer (send when there is none); warn is not a parse error; idle reaches every symbol of the connection', () => {
    const h = context();
    h.ctx.sendPaced('a', 'b');
    h.ctx.send('pong');
    expect(h.paced).toEqual([['a', 'b']]);
    expect(h.now).toEqual(['pong']);
    const bare = context(false);
    bare.ctx.sendPaced('a', 'b');
    expect(bare.now).toEqual(['a', 'b']);
    h.ctx.warn('subscription refused');
    expect(h.parseErrors()).toBe(0);
    expect(h.ctx.parseErrors).toBe(0);
    expect(h.ctx.warnings).toBe(1);
    expect(h.warnings).toEqual(['kraken: subscription refused']);
    h.ctx.idle();
    for (const f of h.feeds.values()) expect(f.idleAt).toBeGreaterThan(0);
  });
});
