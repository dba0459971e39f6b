import type { CarriedSymbol, VenueAdapter } from '../venues/venue-adapter';
import { planShards } from './shard-plan';

const sym = (symbol: string): CarriedSymbol => ({
  symbol,
  native: symbol,
  channels: ['trades', 'l2'],
  instrument: { symbol, base: '', quote: '', priceDecimals: 0, sizeDecimals: 0 },
});

describe('planShards', () => {
  const limits = { maxStreamsPerConnection: 4, maxOutgoingPerSecond: 5, connectAttempts: { max: 1, windowMs: 1 } };
  const streamsFor = (s: CarriedSymbol) => s.channels.length;

  it('packs symbols up to maxStreamsPerConnection (one group by default)', () => {
    const adapter: Pick<VenueAdapter, 'limits' | 'streamsFor'> = { limits, streamsFor };
    expect(planShards(adapter, ['A', 'B', 'C'].map(sym)).map((s) => s.map((x) => x.symbol))).toEqual([['A', 'B'], ['C']]);
  });

  it('never mixes connection groups on one connection (Bybit spot vs linear)', () => {
    const adapter: Pick<VenueAdapter, 'limits' | 'streamsFor' | 'connectionGroup'> = {
      limits,
      streamsFor,
      connectionGroup: (s) => (s.symbol.includes('PERP') ? 'linear' : 'spot'),
    };
    const shards = planShards(adapter, ['A', 'XPERP', 'B', 'C', 'YPERP'].map(sym));
    expect(shards.map((s) => s.map((x) => x.symbol))).toEqual([['A', 'B'], ['C'], ['XPERP', 'YPERP']]);
  });
});
