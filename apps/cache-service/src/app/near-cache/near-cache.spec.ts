import { LfuStore } from './lfu-store';
import { NearCache } from './near-cache';
import { NearCaches } from './near-caches';

describe('NearCache', () => {
  afterEach(() => jest.useRealTimers());

  it('LRU: bounded, evicts the least recently used', () => {
    const c = new NearCache('t', { kind: 'lru', max: 2 }, 60_000);
    c.set('a', '1');
    c.set('b', '2');
    expect(c.get('a')).toBe('1'); // a is now more recent than b
    c.set('c', '3');
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe('1');
    expect(c.size).toBe(2);
  });

  it('LFU: bounded, evicts the least frequently used', () => {
    const c = new NearCache('t', { kind: 'lfu', max: 2 }, 60_000);
    c.set('a', '1');
    c.set('b', '2');
    for (let i = 0; i < 5; i++) c.get('b');
    c.get('a');
    c.set('c', '3'); // a (2 uses) goes, b (6 uses) stays
    expect(c.get('a')).toBeUndefined();
    expect(c.get('b')).toBe('2');
    expect(c.get('c')).toBe('3');
  });

  it('TTL: an entry expires after its ttl even when read often', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const c = new NearCache('t', { kind: 'ttl', max: 10, ttlMs: 100 }, 60_000);
    c.set('a', '1');
    jest.setSystemTime(1_000_050);
    expect(c.get('a')).toBe('1');
    jest.setSystemTime(1_000_101);
    expect(c.get('a')).toBeUndefined();
  });

  it('never answers an entry older than maxAgeMs as fresh, but keeps it for stale reads', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const c = new NearCache('t', { kind: 'lru', max: 10 }, 250);
    c.set('a', '1');
    jest.setSystemTime(1_000_250);
    expect(c.get('a')).toBe('1');
    jest.setSystemTime(1_000_251);
    expect(c.get('a')).toBeUndefined();
    expect(c.getStale('a')).toBe('1');
  });

  it('an invalidated entry is a miss but still a stale copy', () => {
    const c = new NearCache('t', { kind: 'lru', max: 10 }, 60_000);
    c.set('a', '1');
    c.invalidate('a');
    expect(c.get('a')).toBeUndefined();
    expect(c.getStale('a')).toBe('1');
  });

  it('a read-through fill that started before an invalidation or a set is discarded (no old value comes back)', () => {
    const c = new NearCache('t', { kind: 'lru', max: 10 }, 60_000);
    const t1 = c.begin();
    c.invalidate('k'); // another replica wrote k while our GET was in flight
    expect(c.fill('k', 'old', t1)).toBe(false);
    expect(c.get('k')).toBeUndefined();
    const t2 = c.begin();
    c.set('k', 'new');
    expect(c.fill('k', 'old', t2)).toBe(false);
    expect(c.get('k')).toBe('new');
    const t3 = c.begin();
    expect(c.fill('k', 'newer', t3)).toBe(true);
    expect(c.get('k')).toBe('newer');
    expect(c.stats).toMatchObject({ rejectedFills: 2, fills: 1 });
  });

  it('counts hits and misses for the hit ratio', () => {
    const c = new NearCache('t', { kind: 'lru', max: 10 }, 60_000);
    c.set('a', '1');
    c.get('a');
    c.get('a');
    c.get('a');
    c.get('b');
    expect(c.hitRatio()).toBe(0.75);
  });
});

describe('LfuStore', () => {
  it('stays bounded under many distinct keys and deletions', () => {
    const s = new LfuStore<number>(100);
    for (let i = 0; i < 10_000; i++) {
      s.set(`k${i}`, i);
      if (i % 3 === 0) s.get(`k${i}`);
      if (i % 7 === 0) s.delete(`k${i - 1}`);
    }
    expect(s.size).toBeLessThanOrEqual(100);
  });
});

describe('NearCaches', () => {
  it('gives each configured namespace its strategy, routes keys, and bounds dynamic namespaces', () => {
    const caches = new NearCaches({
      marketMaxEntries: 10,
      maxAgeMs: 1000,
      namespaces: 'sessions=lfu:5,rates=ttl:3:500',
      defaultStrategy: 'lru:7',
    });
    expect(caches.namespace('sessions').strategy).toEqual({ kind: 'lfu', max: 5 });
    expect(caches.namespace('rates').strategy).toEqual({ kind: 'ttl', max: 3, ttlMs: 500 });
    expect(caches.namespace('other').strategy).toEqual({ kind: 'lru', max: 7 });
    expect(caches.forKey('kv:{sessions}:abc')).toBe(caches.namespace('sessions'));
    expect(caches.forKey('l1:{binance:BTC-USDT}')).toBe(caches.market);
    for (let i = 0; i < 200; i++) caches.namespace(`n${i}`);
    expect(caches.all().length).toBeLessThanOrEqual(1 + 64 + 1);
  });
});
