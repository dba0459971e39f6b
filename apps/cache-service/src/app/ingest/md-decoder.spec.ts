import { FOREIGN, marketDataDecoder, shardOf } from './md-decoder';

const enc = new TextEncoder();
const json = (v: unknown) => enc.encode(JSON.stringify(v));
const l1 = { v: 1, venue: 'okx', symbol: 'SOL-USDT', bidPx: '150.10', bidSz: '3', askPx: '150.20', askSz: '4', seq: 5, ts: 1, recvTs: 1 };
const l2 = { v: 1, venue: 'okx', symbol: 'SOL-USDT', snapshot: false, bids: [['1', '0']], asks: [], seq: 2, prevSeq: 1, ts: 1, recvTs: 1 };
const trade = { v: 1, venue: 'okx', symbol: 'SOL-USDT', id: 't1', price: '1', size: '2', side: 'sell', ts: 1, recvTs: 1 };
const status = { v: 1, venue: 'okx', symbol: 'SOL-USDT', state: 'gap', reason: 'seq', ts: 1 };

describe('marketDataDecoder', () => {
  const d = marketDataDecoder({ index: 0, count: 1 });

  it('tells the four v1 kinds apart by their fields', () => {
    expect(d.decode(json(l1), 'md.>')).toEqual({ kind: 'l1', m: l1 });
    expect(d.decode(json(l2), 'md.>')).toEqual({ kind: 'l2', m: l2 });
    expect(d.decode(json(trade), 'md.>')).toEqual({ kind: 'trade', m: trade });
    expect(d.decode(json(status), 'md.>')).toEqual({ kind: 'status', m: status });
  });

  it('rejects what is not JSON, not a known shape, or invalid for its kind (naming the field)', () => {
    expect(() => d.decode(enc.encode('hello'), 'md.>')).toThrow(/not JSON/);
    expect(() => d.decode(json({ v: 1 }), 'md.>')).toThrow(/not a v1/);
    expect(() => d.decode(json({ ...l1, bidPx: 1.5 }), 'md.>')).toThrow(/bidPx/);
    expect(() => d.decode(json({ ...status, state: 'sleepy' }), 'md.>')).toThrow(/state/);
    expect(() => d.decode(json({ ...trade, venue: 'nasdaq' }), 'md.>')).toThrow(/venue/);
  });

  it('returns FOREIGN for symbols another shard keeps', () => {
    const mine = shardOf('SOL-USDT', 4);
    expect(marketDataDecoder({ index: (mine + 1) % 4, count: 4 }).decode(json(l1), 'md.>')).toBe(FOREIGN);
    expect(marketDataDecoder({ index: mine, count: 4 }).decode(json(l1), 'md.>')).toMatchObject({ kind: 'l1' });
  });
});
