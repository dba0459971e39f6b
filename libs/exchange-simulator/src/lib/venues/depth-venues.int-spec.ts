import { okxChecksum, trimDecimal } from '@cryptoscalp/market';

import { type Simulator, startSimulator } from '../simulator';
import { RecordingClient } from '../testing/sim-client';
import { KrakenBookClient } from './kraken-book-client';

type Side = Map<string, string>;

function apply(side: Side, levels: [string, string][]): void {
  for (const [px, q] of levels) {
    if (Number(q) === 0) side.delete(px);
    else side.set(px, q);
  }
}

function sorted(side: Side, desc: boolean, n = Infinity): [string, string][] {
  return [...side.entries()].sort((a, b) => (desc ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0]))).slice(0, n);
}

/** Retries an assertion until it passes or the deadline expires (then throws its last error). */
async function eventually(check: () => Promise<void>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** The simulator's own book (GET /api/book, the ground truth), numbers written without trailing zeros. */
async function truthTop(sim: Simulator, venue: string, symbol: string, depth: number) {
  const book = (await (await fetch(`${sim.controlUrl}/api/book/${venue}/${symbol}?depth=${depth}`)).json()) as {
    bids: [string, string][];
    asks: [string, string][];
  };
  return canonical(book);
}

/** Levels with prices and sizes as trimmed decimals, so venues' number styles compare equal. */
function canonical(book: { bids: [string, string][]; asks: [string, string][] }) {
  const c = (l: [string, string]) => [trimDecimal(l[0]), trimDecimal(l[1])];
  return { bids: book.bids.map(c), asks: book.asks.map(c) };
}

describe('depth-limited venues (Kraken v2, OKX v5, Bybit v5): a client book stays exact', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({
      controlPort: 0,
      ports: { kraken: 0, okx: 0, bybit: 0 },
      venues: ['kraken', 'okx', 'bybit'],
      rate: 300,
      seed: 11,
      symbols: ['BTC-USD', 'ETH-USDT'],
      // OKX's checksum is 0 in production since June 2026; the CRC32 option lets this client verify books.
      venueOptions: { okx: { checksum: 'crc32' } },
    });
  });
  afterAll(() => sim.stop());

  it('Kraken: snapshot + batched updates verify every checksum on a client that truncates to the depth (docs: "Book checksum (v2)"); bad_checksum is detected once; the book ends equal to the venue\'s', async () => {
    const c = await RecordingClient.connect(sim.endpoints.kraken.ws);
    c.send({ method: 'subscribe', params: { channel: 'book', symbol: ['BTC/USD'], depth: 10 }, req_id: 42 });
    await c.until((f) => f.length > 150, 10_000);
    // Numbers keep their trailing zeros in the raw JSON text (checksums need them).
    const raw = c.frames.map((f) => f.text).find((t) => t.includes('"channel":"book","type":"update"')) as string;
    expect(raw).toMatch(/"price":\d+\.\d[,}]/);
    sim.faults.arm({ type: 'bad_checksum', venue: 'kraken', symbol: 'BTC-USD' });
    await c.until((f) => f.length > 300, 10_000);
    sim.setRate({ venue: 'kraken', rate: 0 });
    const msgs = c.frames.map((f) => f.text);
    expect(JSON.parse(msgs[0] as string)).toMatchObject({ channel: 'status', data: [{ system: 'online', api_version: 'v2' }] });
    expect(JSON.parse(msgs[1] as string)).toMatchObject({
      method: 'subscribe',
      success: true,
      req_id: 42,
      result: { channel: 'book', symbol: 'BTC/USD', depth: 10 },
    });
    const client = new KrakenBookClient(10);
    for (const text of msgs.slice(2)) client.apply(text);
    expect(client.verified).toBeGreaterThan(100);
    expect(client.mismatches).toBe(1);
    // The venue's own book (REST, rendered straight from the simulator's market) is the ground truth.
    await eventually(async () => {
      const truth = await truthTop(sim, 'kraken', 'BTC-USD', 10);
      const now = new KrakenBookClient(10);
      for (const f of c.frames.slice(2)) now.apply(f.text);
      expect(canonical(now.top())).toEqual(truth);
    });
    sim.setRate({ venue: 'kraken', rate: 300 });
    c.close();
  });

  it('Kraken: unsupported pair is refused in the ack; ping → pong with req_id', async () => {
    const c = await RecordingClient.connect(sim.endpoints.kraken.ws);
    c.send({ method: 'subscribe', params: { channel: 'trade', symbol: ['DOGE/EUR'] }, req_id: 1 });
    c.send({ method: 'ping', req_id: 2 });
    await c.until(() => c.json().find((m) => m['method'] === 'pong'));
    expect(c.json().find((m) => m['req_id'] === 1)).toMatchObject({ success: false, error: 'Currency pair not supported DOGE/EUR' });
    expect(c.json().find((m) => m['method'] === 'pong')).toMatchObject({ req_id: 2 });
    c.close();
  });

  it("OKX: books chain by prevSeqId == previous seqId (seqIds jump), CRC32 of the trimmed strings verifies on a 400-level book; a gap breaks the chain exactly once; after resubscribing the book ends equal to the venue's (OKX docs: order book channel)", async () => {
    const c = await RecordingClient.connect(sim.endpoints.okx.ws);
    const sub = { channel: 'books', instId: 'ETH-USDT' };
    c.send({ op: 'subscribe', args: [sub] });
    await c.until(() => c.json().filter((m) => m['arg']?.channel === 'books').length > 25, 10_000);
    sim.faults.arm({ type: 'gap', venue: 'okx', symbol: 'ETH-USDT' });
    const bids: Side = new Map();
    const asks: Side = new Map();
    let last: number | undefined;
    let breaks = 0;
    let verified = 0;
    let failed = 0;
    let seen = 0;
    let resubscribed = false;
    const consume = () => {
      const msgs = c.json().filter((m) => m['arg']?.channel === 'books' && m['data']);
      for (const m of msgs.slice(seen)) {
        const d = m['data'][0];
        if (m['action'] === 'snapshot') {
          expect(d.prevSeqId).toBe(-1);
          bids.clear();
          asks.clear();
        } else if (last === undefined)
          continue; // waiting for the snapshot after a resubscription
        else if (d.prevSeqId !== last) {
          // The documented reaction to a broken chain: resubscribe for a new snapshot.
          breaks++;
          last = undefined;
          c.send({ op: 'unsubscribe', args: [sub] });
          c.send({ op: 'subscribe', args: [sub] });
          resubscribed = true;
          continue;
        }
        last = d.seqId;
        apply(
          bids,
          d.bids.map((l: string[]) => [l[0], l[1]]),
        );
        apply(
          asks,
          d.asks.map((l: string[]) => [l[0], l[1]]),
        );
        if (okxChecksum(sorted(bids, true, 25), sorted(asks, false, 25)) === d.checksum) verified++;
        else failed++;
      }
      seen = msgs.length;
    };
    await c.until(() => (consume(), resubscribed && verified > 60), 15_000);
    sim.setRate({ venue: 'okx', symbol: 'ETH-USDT', rate: 0 });
    try {
      await eventually(async () => {
        consume();
        const truth = await truthTop(sim, 'okx', 'ETH-USDT', 400);
        expect(canonical({ bids: sorted(bids, true, 400), asks: sorted(asks, false, 400) })).toEqual(truth);
      });
    } finally {
      sim.setRate({ venue: 'okx', symbol: 'ETH-USDT', rate: 300 });
    }
    expect(breaks).toBe(1);
    expect(failed).toBe(0);
    expect(verified).toBeGreaterThan(60);
    c.close();
  });

  it('OKX: text ping/pong, the 60018 error for an unknown instrument, and the 64008 notice on server_close', async () => {
    const c = await RecordingClient.connect(sim.endpoints.okx.ws);
    c.send('ping');
    c.send({ op: 'subscribe', args: [{ channel: 'trades', instId: 'XXX-YYY' }] });
    await c.until((f) => f.some((x) => x.text === 'pong') && c.json().some((m) => m['event'] === 'error'));
    expect(c.json().find((m) => m['event'] === 'error')).toMatchObject({ code: '60018' });
    c.send({ op: 'subscribe', args: [{ channel: 'trades', instId: 'ETH-USDT' }] });
    await c.until(() => c.json().some((m) => m['arg']?.channel === 'trades' && m['data']));
    sim.faults.arm({ type: 'server_close', venue: 'okx' });
    expect(await c.closed()).toBe(1001);
    expect(c.json().find((m) => m['event'] === 'notice')).toMatchObject({ code: '64008' });
  });

  it("Bybit: orderbook.50 snapshot then deltas with continuous u (a new snapshot replaces the book); a gap fault breaks u exactly once; after resubscribing the book ends equal to the venue's (Bybit docs: orderbook)", async () => {
    const c = await RecordingClient.connect(sim.endpoints.bybit.ws);
    c.send({ op: 'subscribe', args: ['orderbook.50.BTCUSD', 'publicTrade.BTCUSD'], req_id: 'r1' });
    const topic = (m: Record<string, any>) => m['topic'] === 'orderbook.50.BTCUSD';
    await c.until(() => c.json().filter(topic).length > 40, 10_000);
    sim.faults.arm({ type: 'gap', venue: 'bybit', symbol: 'BTC-USD' });
    expect(c.json()[0]).toMatchObject({ success: true, op: 'subscribe', req_id: 'r1', ret_msg: 'subscribe' });
    const bids: Side = new Map();
    let asks: Side = new Map();
    let u: number | undefined;
    let breaks = 0;
    let seen = 0;
    let resubscribed = false;
    let applied = 0;
    const consume = () => {
      const books = c.json().filter(topic);
      for (const b of books.slice(seen)) {
        const d = b['data'];
        if (b['type'] === 'snapshot') {
          bids.clear();
          asks = new Map();
        } else if (u === undefined) continue;
        else if (d.u !== u + 1) {
          breaks++;
          u = undefined;
          c.send({ op: 'unsubscribe', args: ['orderbook.50.BTCUSD'] });
          c.send({ op: 'subscribe', args: ['orderbook.50.BTCUSD'] });
          resubscribed = true;
          continue;
        }
        u = d.u;
        if (resubscribed) applied++;
        apply(bids, d.b);
        apply(asks, d.a);
      }
      seen = books.length;
    };
    await c.until(() => (consume(), applied > 20), 15_000);
    sim.setRate({ venue: 'bybit', rate: 0 });
    try {
      await eventually(async () => {
        consume();
        const truth = await truthTop(sim, 'bybit', 'BTC-USD', 50);
        expect(canonical({ bids: sorted(bids, true, 50), asks: sorted(asks, false, 50) })).toEqual(truth);
      });
    } finally {
      sim.setRate({ venue: 'bybit', rate: 300 });
    }
    expect(breaks).toBe(1);
    expect(c.json().some((m) => m['topic'] === 'publicTrade.BTCUSD')).toBe(true);
    c.close();
  });
});
