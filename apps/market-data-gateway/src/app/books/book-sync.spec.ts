import type { FeedState } from '@cryptoscalp/messaging';
import { waitFor } from '@cryptoscalp/testing';

import { binanceContinuity } from '../venues/binance/binance.protocol';
import type { BookOptions, BookSnapshot, BookUpdate, LevelIn } from './book.types';
import { type BookOutput, BookSync, type L2Body } from './book-sync';

/** A controllable snapshot source: each request waits until the test answers it. */
function harness(extra: Partial<BookOptions> = {}) {
  const requests: { resolve: (s: BookSnapshot) => void; reject: (e: Error) => void }[] = [];
  const l2: L2Body[] = [];
  const statuses: { state: FeedState; reason: string }[] = [];
  const out: BookOutput = { l2: (b) => l2.push(b), status: (state, reason) => statuses.push({ state, reason }), warn: () => undefined };
  const book = new BookSync(
    {
      continuity: binanceContinuity,
      requestSnapshot: () => new Promise<BookSnapshot>((resolve, reject) => requests.push({ resolve, reject })),
      ...extra,
    },
    out,
    { backoff: { initialDelayMs: 1, maxDelayMs: 2 } },
  );
  return { book, requests, l2, statuses, states: () => statuses.map((s) => s.state) };
}

const upd = (first: number, last: number, bids: LevelIn[] = [], asks: LevelIn[] = []): BookUpdate => ({
  first,
  last,
  bids,
  asks,
  ts: 1,
  recvTs: 1,
});
const snap = (seq: number, bids: LevelIn[], asks: LevelIn[]): BookSnapshot => ({ seq, bids, asks, ts: 1, recvTs: 1 });
const flush = () => new Promise((r) => setImmediate(r));

describe('BookSync with the Binance spot procedure (developers.binance.com, "How to manage a local order book correctly")', () => {
  it('buffers from the first event, drops events with u <= lastUpdateId, applies the first with U <= lastUpdateId+1 <= u, then continues', async () => {
    const h = harness();
    h.book.update(upd(90, 95, [['10.00', '1']])); // older than the snapshot: dropped
    h.book.update(upd(96, 102, [['10.01', '2']])); // covers lastUpdateId+1 = 101: first applied
    h.book.update(upd(103, 104, [], [['10.05', '0.5']]));
    expect(h.book.state).toBe('buffering');
    expect(h.requests).toHaveLength(1); // step 3: one snapshot request
    expect(h.l2).toEqual([]); // nothing published while unsynced
    h.requests[0]?.resolve(snap(100, [['10.00', '5']], [['10.10', '1']]));
    await flush();
    expect(h.book.state).toBe('live');
    expect(h.book.seq).toBe(104);
    expect(h.l2).toEqual([
      {
        snapshot: true,
        bids: [
          ['10.01', '2'],
          ['10.00', '5'], // the dropped event's '1' was never applied
        ],
        asks: [
          ['10.05', '0.5'],
          ['10.10', '1'],
        ],
        seq: 104,
        ts: 1,
        recvTs: 1,
      },
    ]);
    expect(h.states()).toEqual(['connected']);
    h.book.update(upd(105, 105, [['10.01', '0']]));
    expect(h.l2[1]).toMatchObject({ snapshot: false, seq: 105, prevSeq: 104, bids: [['10.01', '0']] });
    expect(h.book.top('bid', 5)).toEqual([['10.00', '5']]);
  });

  it('fetches another snapshot when lastUpdateId is older than the first buffered event (documented, not a gap)', async () => {
    const h = harness();
    h.book.update(upd(200, 205));
    h.requests[0]?.resolve(snap(150, [['1', '1']], [['2', '1']]));
    await flush();
    expect(h.book.state).toBe('buffering');
    expect(h.requests).toHaveLength(2);
    expect(h.book.counters.staleSnapshots).toBe(1);
    expect(h.states()).toEqual([]);
    h.requests[1]?.resolve(snap(203, [['1', '1']], [['2', '1']]));
    await flush();
    expect(h.book.state).toBe('live');
    expect(h.book.seq).toBe(205);
    expect(h.book.counters.gaps).toBe(0);
  });

  it('on a gap while live: gap then resync, updates buffered meanwhile and applied on the new snapshot, then connected', async () => {
    const h = harness();
    h.book.update(upd(11, 11));
    h.requests[0]?.resolve(snap(10, [['1', '1']], [['3', '1']]));
    await flush();
    h.book.update(upd(12, 12, [['1.5', '1']]));
    h.book.update(upd(15, 16, [['1.6', '1']])); // 13..14 missing
    expect(h.states()).toEqual(['connected', 'gap', 'resync']);
    expect(h.book.state).toBe('resyncing');
    const published = h.l2.length;
    h.book.update(upd(17, 17, [['1.7', '1']])); // buffered, not published
    expect(h.l2.length).toBe(published);
    // The new snapshot already contains 1.5 and a level the old book never saw.
    h.requests[1]?.resolve(
      snap(
        14,
        [
          ['1.5', '1'],
          ['0.9', '4'],
        ],
        [['3', '1']],
      ),
    );
    await flush();
    expect(h.states()).toEqual(['connected', 'gap', 'resync', 'connected']);
    expect(h.book.seq).toBe(17);
    expect(h.book.top('bid', 10)).toEqual([
      ['1.7', '1'],
      ['1.6', '1'],
      ['1.5', '1'],
      ['0.9', '4'],
    ]);
    // The snapshot replaced the book: the old '1' bid is gone (no ghost level).
    expect(h.book.top('bid', 10).some(([p]) => p === '1')).toBe(false);
  });

  it('accepts removals of levels it never had (deep books) and never publishes a crossed book', async () => {
    const h = harness();
    h.book.update(upd(2, 2, [['0.5', '0']])); // removal of a level outside the snapshot: normal
    h.requests[0]?.resolve(snap(1, [['1', '1']], [['2', '1']]));
    await flush();
    expect(h.book.state).toBe('live');
    h.book.update(upd(3, 3, [['2.5', '1']])); // bid above the best ask: crossed
    expect(h.book.state).toBe('resyncing');
    expect(h.states()).toEqual(['connected', 'resync']);
    expect(h.l2.filter((m) => !m.snapshot)).toEqual([]);
  });

  it('retries a failed snapshot request with backoff and ignores a superseded answer', async () => {
    const h = harness();
    h.book.update(upd(5, 5));
    h.requests[0]?.reject(new Error('429'));
    await waitFor(() => h.requests.length === 2, 2000, 5); // retried after a backoff
    expect(h.requests).toHaveLength(2);
    h.requests[1]?.resolve(snap(4, [['1', '1']], [['2', '1']]));
    await flush();
    expect(h.book.state).toBe('live');
    h.requests[0]?.resolve(snap(1, [['9', '9']], [['10', '1']])); // late answer to the failed request
    await flush();
    expect(h.book.top('bid', 1)).toEqual([['1', '1']]);
  });

  it('verifies checksums after each update and resyncs on a mismatch', async () => {
    const h = harness({
      continuity: (seq, u) => (u.last <= seq ? 'stale' : u.first === seq + 1 ? 'apply' : 'gap'),
      checksum: (view, u) => Number(view.top('bid', 1)[0]?.[1]) === u.checksum,
    });
    h.book.update({ ...upd(2, 2, [['1', '3']]), checksum: 3 });
    h.requests[0]?.resolve(snap(1, [['1', '1']], [['2', '1']]));
    await flush();
    expect(h.book.counters.checksumOk).toBe(1);
    h.book.update({ ...upd(3, 3, [['1', '4']]), checksum: 5 });
    expect(h.states()).toEqual(['connected', 'checksum_mismatch', 'resync']);
    expect(h.book.counters.checksumMismatch).toBe(1);
  });
});

describe('BookSync hooks for WebSocket-snapshot venues (Kraken v2, OKX, Bybit)', () => {
  /** Sequence-less continuity (Kraken): every update applies; checksum = number of bid levels (needs the truncated book). */
  const kraken: Pick<BookOptions, 'continuity' | 'checksum'> = {
    continuity: (seq, u) => (u.last <= seq ? 'stale' : 'apply'),
    checksum: (view, u) => view.top('bid', 100).length === u.checksum,
  };

  function wsBook(extra: Partial<BookOptions> = {}) {
    let requests = 0;
    const checks: boolean[] = [];
    const statuses: string[] = [];
    const l2: L2Body[] = [];
    const book = new BookSync(
      {
        ...kraken,
        requestSnapshot: () => {
          requests++;
          return Promise.resolve(undefined);
        },
        ...extra,
      },
      { l2: (b) => l2.push(b), status: (s) => statuses.push(s), warn: () => undefined, checksum: (ok) => checks.push(ok) },
      { backoff: { initialDelayMs: 1, maxDelayMs: 2 } },
    );
    return { book, checks, statuses, l2, requests: () => requests };
  }

  const ladder = (n: number, from = 100): LevelIn[] => Array.from({ length: n }, (_, i) => [String(from - i), '1'] as LevelIn);

  it('truncates a snapshot and each buffered update replayed on it to truncateTo, before their checksums are checked', async () => {
    const h = wsBook({ truncateTo: 3 });
    h.book.update({ ...upd(2, 2, [['101', '1']]), checksum: 3 }); // buffered; verified after truncation: 3 bids
    h.book.snapshot({ ...snap(1, ladder(5), [['200', '1']]), checksum: 3 });
    await flush();
    expect(h.book.state).toBe('live');
    expect(h.book.top('bid', 10)).toEqual([
      ['101', '1'],
      ['100', '1'],
      ['99', '1'],
    ]);
    expect(h.book.counters).toMatchObject({ checksumOk: 2, checksumMismatch: 0, resyncs: 0 });
    expect(h.l2[0]?.bids).toHaveLength(3);
  });

  it("verifies a snapshot's own checksum: counted when it matches; a mismatch is checksum_mismatch → resync, never published", () => {
    const ok = wsBook();
    ok.book.snapshot({ ...snap(1, ladder(4), [['200', '1']]), checksum: 4 });
    expect(ok.checks).toEqual([true]);
    expect(ok.book.counters.checksumOk).toBe(1);
    const bad = wsBook();
    bad.book.snapshot({ ...snap(1, ladder(4), [['200', '1']]), checksum: 7 });
    expect(bad.statuses).toEqual(['checksum_mismatch', 'resync']);
    expect(bad.checks).toEqual([false]);
    expect(bad.l2).toEqual([]);
    expect(bad.book.state).toBe('resyncing');
    expect(bad.requests()).toBe(1);
  });

  it('fail("checksum_mismatch") from the adapter reaches the checksum counter as well as md.status', () => {
    const h = wsBook();
    h.book.snapshot(snap(1, ladder(2), [['200', '1']]));
    h.book.fail('checksum_mismatch', 'audit');
    expect(h.checks).toEqual([false]);
    expect(h.statuses).toEqual(['connected', 'checksum_mismatch', 'resync']);
  });

  it('snapshotViaWs: one request for all buffered updates, open until the pushed snapshot arrives; asked again after snapshotTimeoutMs', async () => {
    // The snapshot timeout runs on a fake clock (setImmediate stays real for flush()): the
    // re-request and the absence of a third one are checked without waiting in real time.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const h = wsBook({ snapshotViaWs: true, snapshotTimeoutMs: 30 });
      for (let i = 2; i < 12; i++) {
        h.book.update(upd(i, i));
        await flush();
      }
      expect(h.requests()).toBe(1);
      await jest.advanceTimersByTimeAsync(31);
      expect(h.requests()).toBe(2); // no snapshot: requested again
      h.book.snapshot(snap(20, ladder(2), [['200', '1']]));
      expect(h.book.state).toBe('live');
      await jest.advanceTimersByTimeAsync(1000); // many snapshot timeouts later…
      expect(h.requests()).toBe(2); // …no third request: the arrived snapshot closed the request
    } finally {
      jest.useRealTimers();
    }
    // Without the flag, an undefined answer closes the request and every buffered update asks again.
    const plain = wsBook();
    for (let i = 2; i < 5; i++) {
      plain.book.update(upd(i, i));
      await flush();
    }
    expect(plain.requests()).toBe(3);
  });
});

describe('BookSync: a snapshot pushed on the WebSocket (snapshotViaWs)', () => {
  it('drops the updates buffered before it (older on the same connection), even when the venue restarted its sequence for the new subscription', () => {
    let requests = 0;
    const statuses: string[] = [];
    const book = new BookSync(
      {
        // Bybit: u continues by one.
        continuity: (seq, u) => (u.last <= seq ? 'stale' : u.first === seq + 1 ? 'apply' : 'gap'),
        requestSnapshot: () => {
          requests++;
          return Promise.resolve(undefined);
        },
        snapshotViaWs: true,
      },
      { l2: () => undefined, status: (s) => statuses.push(s), warn: () => undefined },
    );
    book.snapshot(snap(1, [['1', '1']], [['3', '1']]));
    book.update(upd(5, 5)); // u 2..4 lost: gap, resubscribe; u=5 kept in the buffer
    book.update(upd(6, 6));
    expect(statuses).toEqual(['connected', 'gap', 'resync']);
    // The resubscription's snapshot restarts at u=1 (a new subscription): it replaces the book.
    book.snapshot(snap(1, [['1.5', '1']], [['3', '1']]));
    book.update(upd(2, 2, [['1.6', '1']]));
    expect(book.state).toBe('live');
    expect(statuses).toEqual(['connected', 'gap', 'resync', 'connected']);
    expect(book.top('bid', 5)).toEqual([
      ['1.6', '1'],
      ['1.5', '1'],
    ]);
    expect(book.counters).toMatchObject({ staleSnapshots: 0, staleUpdates: 2 });
    expect(requests).toBe(1);
  });
});
