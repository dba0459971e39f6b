import { carried, SessionHarness, settle } from '../../replay/replay-session';
import { OkxAdapter } from './okx.adapter';
import { OKX_OPS_PER_HOUR } from './okx.session';

const BTC = carried('BTC-USDT', 'BTC-USDT');
const ETH = carried('ETH-USDT', 'ETH-USDT');

/** The `books` snapshot example of the OKX v5 docs ("Order book channel", push data), checksum 0 as sent since June 2026. */
const DOC_SNAPSHOT = {
  arg: { channel: 'books', instId: 'BTC-USDT' },
  action: 'snapshot',
  data: [
    {
      asks: [
        ['8476.98', '415', '0', '13'],
        ['8477', '7', '0', '2'],
        ['8477.34', '85', '0', '1'],
        ['8477.56', '1', '0', '1'],
        ['8505.84', '8', '0', '1'],
        ['8506.37', '85', '0', '1'],
        ['8506.49', '2', '0', '1'],
        ['8506.96', '100', '0', '2'],
      ],
      bids: [
        ['8476.97', '256', '0', '12'],
        ['8475.55', '101', '0', '1'],
        ['8475.54', '100', '0', '1'],
        ['8475.3', '1', '0', '1'],
        ['8447.32', '6', '0', '1'],
        ['8447.02', '246', '0', '1'],
        ['8446.83', '24', '0', '1'],
        ['8446', '95', '0', '3'],
      ],
      ts: '1597026383085',
      checksum: 0,
      prevSeqId: -1,
      seqId: 123456,
    },
  ],
};

type Lv = [string, string, string, string];
const books = (instId: string, action: 'snapshot' | 'update', seqId: number, prevSeqId: number, bids: Lv[], asks: Lv[], checksum = 0) => ({
  arg: { channel: 'books', instId },
  action,
  data: [{ asks, bids, ts: '1597026383085', checksum, prevSeqId, seqId }],
});
const lv = (px: string, sz: string): Lv => [px, sz, '0', '1'];
const frameOps = (sent: string[]) => sent.map((s) => JSON.parse(s) as { op: string; args: { channel: string; instId: string }[] });

describe('OKX v5 adapter: books', () => {
  it("starts from the WebSocket snapshot of OKX's documented example, levels and digits as sent", () => {
    const h = new SessionHarness(new OkxAdapter(), [BTC]);
    h.frame(DOC_SNAPSHOT);
    const book = h.book('BTC-USDT');
    expect(book?.state).toBe('live');
    expect(book?.seq).toBe(123456);
    const doc = DOC_SNAPSHOT.data[0] as { bids: string[][]; asks: string[][] };
    expect(h.l2s[0]).toMatchObject({
      snapshot: true,
      seq: 123456,
      bids: doc.bids.map(([px, sz]) => [px, sz]),
      asks: doc.asks.map(([px, sz]) => [px, sz]),
    });
    expect(h.l2s[0]?.bids[3]).toEqual(['8475.3', '1']);
    expect(h.statesOf('BTC-USDT')).toEqual(['connected']);
    h.close();
  });

  it('applies an update whose prevSeqId is the book seqId, with jumping seqIds, and publishes it as received', () => {
    const h = new SessionHarness(new OkxAdapter(), [BTC]);
    h.frame(DOC_SNAPSHOT);
    h.frame(books('BTC-USDT', 'update', 123519, 123456, [lv('8476.97', '0'), lv('8476.5', '3')], [lv('8477', '8')]));
    h.frame(books('BTC-USDT', 'update', 123600, 123519, [], [lv('8476.98', '0')]));
    expect(h.l2s.slice(1)).toMatchObject([
      {
        snapshot: false,
        seq: 123519,
        prevSeq: 123456,
        bids: [
          ['8476.97', '0'],
          ['8476.5', '3'],
        ],
        asks: [['8477', '8']],
      },
      { snapshot: false, seq: 123600, prevSeq: 123519, bids: [], asks: [['8476.98', '0']] },
    ]);
    const book = h.book('BTC-USDT');
    expect(book?.top('bid', 1)).toEqual([['8476.5', '3']]);
    expect(book?.top('ask', 1)).toEqual([['8477', '8']]);
    expect(h.statesOf('BTC-USDT')).toEqual(['connected']);
    h.close();
  });

  it('accepts keepalives (no levels, seqId == prevSeqId) without publishing or resyncing', () => {
    const h = new SessionHarness(new OkxAdapter(), [BTC]);
    h.frame(DOC_SNAPSHOT);
    h.frame(books('BTC-USDT', 'update', 123456, 123456, [], []));
    h.frame(books('BTC-USDT', 'update', 123456, 123456, [], []));
    h.frame(books('BTC-USDT', 'update', 123470, 123456, [lv('8400', '1')], []));
    expect(h.l2s.map((m) => m.seq)).toEqual([123456, 123470]);
    expect(h.statesOf('BTC-USDT')).toEqual(['connected']);
    expect(h.sent).toEqual([]);
    h.close();
  });

  it('a gap resyncs that symbol alone by unsubscribe + subscribe of its books channel; the other keeps flowing', async () => {
    const h = new SessionHarness(new OkxAdapter(), [BTC, ETH]);
    h.frame(DOC_SNAPSHOT, books('ETH-USDT', 'snapshot', 500, -1, [lv('300', '1')], [lv('301', '1')]));
    // BTC: prevSeqId 123460 ≠ 123456 — an update was lost.
    h.frame(books('BTC-USDT', 'update', 123470, 123460, [lv('8470', '1')], []));
    expect(h.statesOf('BTC-USDT')).toEqual(['connected', 'gap', 'resync']);
    h.frame(books('ETH-USDT', 'update', 510, 500, [lv('300.5', '2')], []));
    await settle(40);
    expect(frameOps(h.sent)).toEqual([
      { op: 'unsubscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] },
      { op: 'subscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] },
    ]);
    // Updates of the old subscription still in flight are buffered and found older than the new snapshot.
    h.frame(books('BTC-USDT', 'update', 123480, 123470, [lv('8471', '1')], []));
    // The fresh snapshot replaces the book: no ghost level survives from before.
    h.frame(books('BTC-USDT', 'snapshot', 123490, -1, [lv('8470', '2')], [lv('8480', '1')]));
    h.frame(books('BTC-USDT', 'update', 123495, 123490, [], [lv('8479', '4')]));
    expect(h.statesOf('BTC-USDT')).toEqual(['connected', 'gap', 'resync', 'connected']);
    expect(h.book('BTC-USDT')?.top('bid', 10)).toEqual([['8470', '2']]);
    expect(h.book('BTC-USDT')?.top('ask', 10)).toEqual([
      ['8479', '4'],
      ['8480', '1'],
    ]);
    expect(h.statesOf('ETH-USDT')).toEqual(['connected']);
    expect(h.l2s.filter((m) => m.symbol === 'ETH-USDT').map((m) => [m.seq, m.prevSeq])).toEqual([
      [500, undefined],
      [510, 500],
    ]);
    // No BTC delta was published between the gap and the new snapshot.
    const btc = h.l2s.filter((m) => m.symbol === 'BTC-USDT').map((m) => [m.snapshot, m.seq]);
    expect(btc).toEqual([
      [true, 123456],
      [true, 123490],
      [false, 123495],
    ]);
    h.close();
  });

  it('a sequence reset (seqId < prevSeqId) re-snapshots the symbol', async () => {
    const h = new SessionHarness(new OkxAdapter(), [BTC]);
    h.frame(DOC_SNAPSHOT);
    h.frame(books('BTC-USDT', 'update', 3, 123456, [lv('8470', '1')], []));
    expect(h.statesOf('BTC-USDT')).toEqual(['connected', 'resync']);
    expect(h.statuses[1]?.reason).toContain('sequence reset');
    await settle(40);
    expect(frameOps(h.sent).map((f) => f.op)).toEqual(['unsubscribe', 'subscribe']);
    h.frame(books('BTC-USDT', 'update', 8, 3, [lv('8471', '1')], []));
    h.frame(books('BTC-USDT', 'snapshot', 8, -1, [lv('8471', '1')], [lv('8480', '1')]));
    h.frame(books('BTC-USDT', 'update', 12, 8, [lv('8472', '1')], []));
    expect(h.book('BTC-USDT')?.state).toBe('live');
    expect(h.book('BTC-USDT')?.seq).toBe(12);
    expect(h.statesOf('BTC-USDT')).toEqual(['connected', 'resync', 'connected']);
    h.close();
  });

  it("verifies a non-zero checksum against OKX's published example (check string 3366.1:7:3366.8:9:3366:6:3368:8 → -1881014294)", () => {
    const h = new SessionHarness(new OkxAdapter(), [BTC]);
    h.frame(books('BTC-USDT', 'snapshot', 10, -1, [lv('3366.1', '7'), lv('3366', '6')], [lv('3366.8', '9'), lv('3368', '8')], -1881014294));
    expect(h.book('BTC-USDT')?.state).toBe('live');
    // The update leads to the second published example: "3366.1:7:3366.8:9:3368:8:3372:8" → 831078360.
    h.frame(books('BTC-USDT', 'update', 11, 10, [lv('3366', '0')], [lv('3372', '8')], 831078360));
    expect(h.book('BTC-USDT')?.state).toBe('live');
    expect(h.book('BTC-USDT')?.counters.checksumOk).toBe(2); // the snapshot's and the update's
    // The same update content with a checksum that does not match: mismatch → resync.
    h.frame(books('BTC-USDT', 'update', 12, 11, [lv('3366.1', '8')], [], 831078360));
    expect(h.statesOf('BTC-USDT')).toEqual(['connected', 'checksum_mismatch', 'resync']);
    h.close();
  });

  it('rejects a snapshot whose non-zero checksum does not match its own levels (checksum_mismatch, counted), and skips checks when it is 0', async () => {
    const h = new SessionHarness(new OkxAdapter(), [BTC, ETH]);
    h.frame(books('BTC-USDT', 'snapshot', 10, -1, [lv('3366.1', '7'), lv('3366', '6')], [lv('3366.8', '9'), lv('3368', '8')], 12345));
    expect(h.book('BTC-USDT')?.state).not.toBe('live');
    expect(h.statesOf('BTC-USDT')).toEqual(['checksum_mismatch', 'resync']);
    expect(h.book('BTC-USDT')?.counters).toMatchObject({ checksumMismatch: 1, checksumOk: 0 });
    // Buffered updates meanwhile do not ask again: one paced unsubscribe + subscribe.
    for (let i = 0; i < 5; i++) h.frame(books('BTC-USDT', 'update', 20 + i, 19 + i, [lv('3366.1', String(i + 1))], []));
    await settle(40);
    expect(frameOps(h.paced).map((f) => f.op)).toEqual(['unsubscribe', 'subscribe']);
    // OKX's published example as the resubscription's snapshot: verified, counted as a checksum.
    h.frame(books('BTC-USDT', 'snapshot', 30, -1, [lv('3366.1', '7'), lv('3366', '6')], [lv('3366.8', '9'), lv('3368', '8')], -1881014294));
    expect(h.statesOf('BTC-USDT')).toEqual(['checksum_mismatch', 'resync', 'connected']);
    expect(h.book('BTC-USDT')?.counters).toMatchObject({ checksumMismatch: 1, checksumOk: 1 });
    h.frame(books('ETH-USDT', 'snapshot', 10, -1, [lv('3366.1', '7')], [lv('3366.8', '9')], 0));
    h.frame(books('ETH-USDT', 'update', 11, 10, [lv('3366.2', '1')], [], 0));
    expect(h.book('ETH-USDT')?.counters.checksumOk).toBe(0);
    expect(h.book('ETH-USDT')?.counters.checksumMismatch).toBe(0);
    expect(h.book('ETH-USDT')?.seq).toBe(11);
    h.close();
  });

  it('starts from the REST snapshot with seqId when the venue pushes an update first (REST snapshot mode)', async () => {
    const rest = {
      code: '0',
      msg: '',
      data: [{ asks: [lv('41006.8', '0.6')], bids: [lv('41006.3', '0.3')], ts: '1629966436396', seqId: 2000 }],
    };
    const h = new SessionHarness(new OkxAdapter(), [BTC], () => rest);
    h.frame(books('BTC-USDT', 'update', 1990, 1980, [lv('41000', '1')], []));
    h.frame(books('BTC-USDT', 'update', 2000, 1990, [lv('41001', '1')], []));
    h.frame(books('BTC-USDT', 'update', 2007, 2000, [lv('41006.3', '0.5')], []));
    await settle();
    expect(h.restRequests.map((r) => r.url)).toEqual(['http://rest.test/api/v5/market/books?instId=BTC-USDT&sz=400']);
    expect(h.book('BTC-USDT')?.state).toBe('live');
    expect(h.book('BTC-USDT')?.seq).toBe(2007);
    // Updates at or before the REST seqId were dropped; the one continuing it applied.
    expect(h.book('BTC-USDT')?.top('bid', 5)).toEqual([['41006.3', '0.5']]);
    expect(h.sent).toEqual([]);
    h.close();
  });
});

describe('OKX v5 adapter: trades, top of book, control', () => {
  it('publishes every trade of a message (the taker side, strings as sent)', () => {
    const h = new SessionHarness(new OkxAdapter(), [BTC]);
    h.frame({
      arg: { channel: 'trades', instId: 'BTC-USDT' },
      data: [
        { instId: 'BTC-USDT', tradeId: '130639474', px: '42219.9', sz: '0.12060306', side: 'buy', ts: '1630048897897', count: '3' },
        { instId: 'BTC-USDT', tradeId: '130639473', px: '42219.8', sz: '0.001', side: 'sell', ts: '1630048897890', count: '1' },
        { instId: 'BTC-USDT', tradeId: '130639472', px: '42219.80', sz: '2', side: 'sell', ts: '1630048897880', count: '1' },
      ],
    });
    expect(h.trades.map((t) => [t.id, t.price, t.size, t.side, t.ts])).toEqual([
      ['130639474', '42219.9', '0.12060306', 'buy', 1630048897897],
      ['130639473', '42219.8', '0.001', 'sell', 1630048897890],
      ['130639472', '42219.80', '2', 'sell', 1630048897880],
    ]);
    h.close();
  });

  it('bbo-tbt is the top of book (documented example)', () => {
    const h = new SessionHarness(new OkxAdapter(), [BTC]);
    h.frame({
      arg: { channel: 'bbo-tbt', instId: 'BTC-USDT' },
      data: [{ asks: [['111.06', '55154', '0', '2']], bids: [['111.05', '57745', '0', '2']], ts: '1670324386802', seqId: 363996337 }],
    });
    expect(h.l1s).toEqual([
      expect.objectContaining({ bidPx: '111.05', bidSz: '57745', askPx: '111.06', askSz: '55154', seq: 363996337, ts: 1670324386802 }),
    ]);
    h.close();
  });

  it('rotates on the 64008 notice, answers nothing to pong, counts malformed frames and never throws', () => {
    const h = new SessionHarness(new OkxAdapter(), [BTC]);
    h.frame('pong', '{"arg":{"channel":"books"', '[1,2]', {
      arg: { channel: 'books', instId: 'BTC-USDT' },
      action: 'update',
      data: [{ bids: 'x' }],
    });
    expect(h.ctx.parseErrors).toBe(3);
    h.frame({
      event: 'notice',
      code: '64008',
      msg: 'The connection will soon be closed for a service upgrade. Please reconnect.',
      connId: 'a4d3ae55',
    });
    expect(h.rotations).toHaveLength(1);
    h.frame({ event: 'subscribe', arg: { channel: 'books', instId: 'BTC-USDT' }, connId: 'a4d3ae55' });
    expect(h.ctx.skippedFrames).toBe(1);
    expect(h.rotations).toHaveLength(1);
    h.close();
  });

  it('pings only when the connection was quiet', () => {
    const adapter = new OkxAdapter();
    const h = new SessionHarness(adapter, [BTC]);
    h.frame(DOC_SNAPSHOT);
    h.session.keepalive?.();
    expect(h.sent).toEqual([]);
    h.session.onFrame('pong', (Date.now() - adapter.pingAfterMs - 1) * 1000);
    h.session.keepalive?.();
    expect(h.sent).toEqual(['ping']);
    h.close();
  });

  it('keeps within the 480 subscribe requests per hour: rotates instead of resubscribing past the budget', async () => {
    const h = new SessionHarness(new OkxAdapter({ resubscribeBatchMs: 0 }), [BTC]);
    h.frame(books('BTC-USDT', 'snapshot', 1, -1, [lv('1', '1')], [lv('2', '1')]));
    let seq = 1;
    for (let i = 0; i < OKX_OPS_PER_HOUR / 2 + 2 && h.rotations.length === 0; i++) {
      h.frame(books('BTC-USDT', 'update', seq + 10, seq + 5, [], [])); // a gap
      await settle(1);
      seq += 20;
      h.frame(books('BTC-USDT', 'snapshot', seq, -1, [lv('1', '1')], [lv('2', '1')]));
    }
    const ops = h.sent.length + 1; // + the plan's subscribe request
    expect(ops).toBeLessThanOrEqual(OKX_OPS_PER_HOUR);
    expect(h.rotations[0]).toContain('budget');
    h.close();
  });

  it('plans subscriptions from the carried channels, at most 100 arguments a request', () => {
    const adapter = new OkxAdapter();
    const many = Array.from({ length: 70 }, (_, i) => carried(`C${i}-USDT`, `C${i}-USDT`));
    const plan = adapter.connectionPlan({ ...adapter.defaults }, many);
    expect(plan.url).toBe('wss://ws.okx.com:8443/ws/v5/public');
    const frames = frameOps(plan.subscribe);
    expect(frames.map((f) => f.args.length)).toEqual([100, 100, 10]);
    expect(frames[0]?.args.slice(0, 3)).toEqual([
      { channel: 'trades', instId: 'C0-USDT' },
      { channel: 'bbo-tbt', instId: 'C0-USDT' },
      { channel: 'books', instId: 'C0-USDT' },
    ]);
    expect(adapter.requestsFor(many)).toBe(3);
  });

  it('maps symbols from instrument metadata (baseCcy/quoteCcy), not from the instId', async () => {
    const adapter = new OkxAdapter();
    const body = {
      code: '0',
      data: [
        { instType: 'SPOT', instId: 'BTC-USDT', baseCcy: 'BTC', quoteCcy: 'USDT', tickSz: '0.1', lotSz: '0.00000001', state: 'live' },
        { instType: 'SPOT', instId: 'XYZ-OLD', baseCcy: 'XYZ', quoteCcy: 'USDT', tickSz: '0.1', lotSz: '1', state: 'live' },
        { instType: 'SPOT', instId: 'DOT-USDT', baseCcy: 'DOT', quoteCcy: 'USDT', tickSz: '0.001', lotSz: '0.0001', state: 'suspend' },
      ],
    };
    const rest = { getJson: <T>() => Promise.resolve(body as T) };
    const out = await adapter.resolveSymbols(rest, adapter.defaults, ['BTC-USDT', 'XYZ-USDT', 'DOT-USDT', 'ETH-USDT']);
    expect(out.symbols.map((s) => [s.symbol, s.native, s.instrument.priceDecimals, s.instrument.sizeDecimals])).toEqual([
      ['BTC-USDT', 'BTC-USDT', 1, 8],
      ['XYZ-USDT', 'XYZ-OLD', 1, 0],
    ]);
    expect(out.unknown).toEqual(['DOT-USDT', 'ETH-USDT']);
  });
});
