import type { CarriedSymbol, VenueAdapter } from '../venues/venue-adapter';

/**
 * Splits a venue's symbols over connections: each connection group (`adapter.connectionGroup`,
 * Bybit spot vs linear) apart, then as many symbols per connection as
 * `limits.maxStreamsPerConnection` allows (`adapter.streamsFor`). Order is kept within a group.
 */
export function planShards(
  adapter: Pick<VenueAdapter, 'limits' | 'streamsFor' | 'connectionGroup'>,
  carried: readonly CarriedSymbol[],
): CarriedSymbol[][] {
  const groups = new Map<string, CarriedSymbol[]>();
  for (const c of carried) {
    const key = adapter.connectionGroup?.(c) ?? '';
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(c);
  }
  const shards: CarriedSymbol[][] = [];
  for (const group of groups.values()) {
    let shard: CarriedSymbol[] = [];
    let streams = 0;
    for (const c of group) {
      const n = adapter.streamsFor(c);
      if (shard.length && streams + n > adapter.limits.maxStreamsPerConnection) {
        shards.push(shard);
        shard = [];
        streams = 0;
      }
      shard.push(c);
      streams += n;
    }
    if (shard.length) shards.push(shard);
  }
  return shards;
}
