import { type Simulator, type SimulatorOptions, startSimulator } from '../simulator';
import { RecordingClient } from '../testing/sim-client';

/** A number as OKX writes it: no trailing zeros, no trailing dot ("30244", "0.08"). */
const TRIMMED = /^\d+(\.\d*[1-9])?$/;

type Msg = Record<string, any>;
const books = (c: RecordingClient, channel = 'books'): Msg[] => c.json().filter((m) => m['arg']?.channel === channel && m['data']);

async function withSim(options: Partial<SimulatorOptions>, run: (sim: Simulator) => Promise<void>): Promise<void> {
  const sim = await startSimulator({
    controlPort: 0,
    ports: { okx: 0 },
    venues: ['okx'],
    rate: 300,
    seed: 21,
    symbols: ['BTC-USDT'],
    ...options,
  });
  try {
    await run(sim);
  } finally {
    await sim.stop();
  }
}

describe('OKX v5 as the venue behaves in 2026 (www.okx.com/docs-v5, notices)', () => {
  it('books: checksum is 0 on snapshot and updates by default (notice "Order Book Channels Checksum Field Deprecation", production 23 June 2026); numbers have no trailing zeros; seqIds jump and chain by prevSeqId; realistic pushes every ~100 ms with several levels', async () => {
    await withSim({}, async (sim) => {
      const c = await RecordingClient.connect(sim.endpoints.okx.ws);
      c.send({ op: 'subscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] });
      await c.until(() => books(c).length > 20, 10_000);
      const msgs = books(c);
      expect(msgs[0]?.['action']).toBe('snapshot');
      // The whole book up to 400 levels (the synthetic market keeps up to 200 per side).
      expect(msgs[0]?.['data'][0].bids.length).toBeGreaterThan(100);
      for (const m of msgs) {
        const d = m['data'][0];
        expect(d.checksum).toBe(0);
        for (const l of [...d.bids, ...d.asks]) {
          expect(l[0]).toMatch(TRIMMED);
          expect(l[1]).toMatch(TRIMMED);
        }
      }
      const updates = msgs.slice(1).map((m) => m['data'][0]);
      for (let i = 1; i < updates.length; i++) expect(updates[i].prevSeqId).toBe(updates[i - 1].seqId);
      expect(updates.some((d) => d.seqId - d.prevSeqId > 1)).toBe(true);
      const at = c.frames.filter((f) => f.text.includes('"books"') && f.text.includes('"update"')).map((f) => f.at);
      const gaps = at.slice(1).map((t, i) => t - (at[i] as number));
      expect(gaps.sort((a, b) => a - b)[Math.floor(gaps.length / 2)]).toBeGreaterThanOrEqual(60);
      expect(updates.reduce((n, d) => n + d.bids.length + d.asks.length, 0) / updates.length).toBeGreaterThan(2);
      c.close();
    });
  });

  it('books: a keepalive update without levels and seqId == prevSeqId comes when the book does not change (docs: order book channel, sequence exceptions); interval configurable', async () => {
    await withSim({ venueOptions: { okx: { booksKeepaliveMs: 1500 } } }, async (sim) => {
      const c = await RecordingClient.connect(sim.endpoints.okx.ws);
      c.send({ op: 'subscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] });
      await c.until(() => books(c).length > 3, 10_000);
      sim.setRate({ venue: 'okx', rate: 0 });
      const isKeepalive = (m: Msg) => m['data'][0].bids.length === 0 && m['data'][0].asks.length === 0;
      await c.until(() => books(c).some(isKeepalive), 8000);
      const all = books(c);
      const at = all.findIndex(isKeepalive);
      const keep = all[at] as Msg;
      const before = all[at - 1]?.['data'][0];
      expect(keep['action']).toBe('update');
      expect(keep['data'][0].seqId).toBe(keep['data'][0].prevSeqId);
      expect(keep['data'][0].seqId).toBe(before.seqId);
      c.close();
    });
  });

  it('books: after a sequence reset (book_reset fault, maintenance) one update has seqId < prevSeqId, and the chain continues from it (docs: order book channel, sequence exceptions)', async () => {
    await withSim({}, async (sim) => {
      const c = await RecordingClient.connect(sim.endpoints.okx.ws);
      c.send({ op: 'subscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] });
      await c.until(() => books(c).length > 5, 10_000);
      sim.faults.arm({ type: 'book_reset', venue: 'okx', symbol: 'BTC-USDT' });
      await c.until(() => books(c).length > 25, 10_000);
      const updates = books(c)
        .slice(1)
        .map((m) => m['data'][0]);
      expect(updates.filter((d) => d.seqId < d.prevSeqId)).toHaveLength(1);
      for (let i = 1; i < updates.length; i++) expect(updates[i].prevSeqId).toBe(updates[i - 1].seqId);
      c.close();
    });
  });

  it("books from a REST snapshot (okx.booksSnapshot 'rest', the announced replacement of the WebSocket snapshot): no WS snapshot, REST carries seqId, the updates continue from it and the book ends equal to the venue's", async () => {
    await withSim({ venueOptions: { okx: { booksSnapshot: 'rest' } } }, async (sim) => {
      const c = await RecordingClient.connect(sim.endpoints.okx.ws);
      c.send({ op: 'subscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] });
      await c.until(() => books(c).length > 2, 10_000);
      const url = `${sim.endpoints.okx.rest}/api/v5/market/books?instId=BTC-USDT&sz=400`;
      const snap = ((await (await fetch(url)).json()) as any).data[0];
      expect(Object.keys(snap).sort()).toEqual(['asks', 'bids', 'seqId', 'ts']);
      expect(books(c).every((m) => m['action'] === 'update')).toBe(true);
      const bids = new Map<string, string>(snap.bids.map((l: string[]) => [l[0], l[1]]));
      const asks = new Map<string, string>(snap.asks.map((l: string[]) => [l[0], l[1]]));
      let last = snap.seqId as number;
      let applied = 0;
      let seen = 0;
      const consume = () => {
        const msgs = books(c);
        for (const m of msgs.slice(seen)) {
          const d = m['data'][0];
          if (d.seqId <= snap.seqId) continue; // older than the snapshot
          expect(d.prevSeqId).toBe(last);
          last = d.seqId;
          applied++;
          for (const [side, levels] of [
            [bids, d.bids],
            [asks, d.asks],
          ] as [Map<string, string>, string[][]][])
            for (const [px, sz] of levels) {
              if (Number(sz) === 0) side.delete(px as string);
              else side.set(px as string, sz as string);
            }
        }
        seen = msgs.length;
      };
      await c.until(() => (consume(), applied > 15), 10_000);
      sim.setRate({ venue: 'okx', rate: 0 });
      const top = (m: Map<string, string>, desc: boolean) =>
        [...m.entries()].sort((a, b) => (desc ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0]))).slice(0, 400);
      // Wait (with a deadline) until the last push arrived: the venue's REST book is the ground truth.
      const deadline = Date.now() + 5000;
      for (;;) {
        consume();
        const truth = ((await (await fetch(url)).json()) as any).data[0];
        const same =
          JSON.stringify([top(bids, true), top(asks, false), last]) ===
          JSON.stringify([truth.bids.map((l: string[]) => [l[0], l[1]]), truth.asks.map((l: string[]) => [l[0], l[1]]), truth.seqId]);
        if (same || Date.now() > deadline) {
          expect(top(bids, true)).toEqual(truth.bids.map((l: string[]) => [l[0], l[1]]));
          expect(top(asks, false)).toEqual(truth.asks.map((l: string[]) => [l[0], l[1]]));
          expect(truth.seqId).toBe(last);
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      c.close();
    });
  });

  it('REST books without the REST-snapshot mode answers asks, bids, ts (docs: GET /api/v5/market/books)', async () => {
    await withSim({}, async (sim) => {
      const body = (await (await fetch(`${sim.endpoints.okx.rest}/api/v5/market/books?instId=BTC-USDT&sz=5`)).json()) as any;
      expect(body.code).toBe('0');
      expect(Object.keys(body.data[0]).sort()).toEqual(['asks', 'bids', 'ts']);
      expect(body.data[0].bids[0][0]).toMatch(TRIMMED);
    });
  });

  it('idle rule: closed (4004) when nothing was pushed for the idle time; a busy subscriber that never pings stays connected (docs: "data has not been pushed for more than 30 seconds")', async () => {
    await withSim({ venueOptions: { idleTimeoutMs: 1500 } }, async (sim) => {
      const idle = await RecordingClient.connect(sim.endpoints.okx.ws);
      const busy = await RecordingClient.connect(sim.endpoints.okx.ws);
      busy.send({ op: 'subscribe', args: [{ channel: 'trades', instId: 'BTC-USDT' }] });
      expect(await idle.closed(6000)).toBe(4004);
      await busy.until(() => Date.now() - (busy.frames[0]?.at ?? Date.now()) > 4500, 8000);
      expect(busy.closeCode).toBeUndefined();
      busy.close();
    });
  });

  it('limits: a 4th connection within a second is refused with 60014; the 481st subscribe request of a connection in an hour is refused with 60014 (docs: WebSocket rate limits)', async () => {
    await withSim({ rate: 0 }, async (sim) => {
      const ok = await Promise.all([1, 2, 3].map(() => RecordingClient.connect(sim.endpoints.okx.ws)));
      const fourth = await RecordingClient.connect(sim.endpoints.okx.ws);
      expect(await fourth.closed()).toBe(1008);
      expect(fourth.json()[0]).toMatchObject({ event: 'error', code: '60014' });
      const c = ok[0] as RecordingClient;
      for (let i = 0; i < 481; i++) c.send({ op: i % 2 ? 'unsubscribe' : 'subscribe', args: [{ channel: 'tickers', instId: 'BTC-USDT' }] });
      await c.until((f) => f.length >= 481, 10_000);
      const msgs = c.json();
      expect(msgs.slice(0, 480).every((m) => m['event'] === 'subscribe' || m['event'] === 'unsubscribe')).toBe(true);
      expect(msgs[480]).toMatchObject({ event: 'error', code: '60014' });
      for (const x of ok) x.close();
    });
  });

  it('channels: books5 pushes 5-level snapshots with seqId and no checksum; books-l2-tbt needs a login (60011); trades batch several trades per message in the realistic profile (docs: market data channels)', async () => {
    await withSim({ rate: 3000 }, async (sim) => {
      const c = await RecordingClient.connect(sim.endpoints.okx.ws);
      c.send({
        op: 'subscribe',
        args: [
          { channel: 'books5', instId: 'BTC-USDT' },
          { channel: 'books-l2-tbt', instId: 'BTC-USDT' },
          { channel: 'trades', instId: 'BTC-USDT' },
        ],
      });
      await c.until(() => books(c, 'books5').length > 5 && books(c, 'trades').length > 20, 10_000);
      expect(c.json().find((m) => m['event'] === 'error')).toMatchObject({ code: '60011' });
      for (const m of books(c, 'books5')) {
        const d = m['data'][0];
        expect(d.bids).toHaveLength(5);
        expect(d.asks).toHaveLength(5);
        expect(d.seqId).toEqual(expect.any(Number));
        expect(d.checksum).toBeUndefined();
        expect(m['action']).toBeUndefined();
      }
      expect(books(c, 'trades').some((m) => m['data'].length > 1)).toBe(true);
      const ids = books(c, 'trades')
        .flatMap((m) => m['data'])
        .map((t) => Number(t.tradeId));
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => (ids[0] as number) + i));
      c.close();
    });
  });

  it('per-event profile: one trade per message and one books update per market event (stress mode)', async () => {
    await withSim({ rate: 1000, venueOptions: { profile: 'per-event' } }, async (sim) => {
      const c = await RecordingClient.connect(sim.endpoints.okx.ws);
      c.send({ op: 'subscribe', args: [{ channel: 'trades', instId: 'BTC-USDT' }] });
      await c.until(() => books(c, 'trades').length > 50, 10_000);
      expect(new Set(books(c, 'trades').map((m) => m['data'].length))).toEqual(new Set([1]));
      c.close();
    });
  });
});
