import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { closeReplay, replayCapture } from '../../replay/replay';
import { TradeIdTracker } from './coinbase-trade-ids';

const ROOT = join(__dirname, '../../../../../..');
const CAPTURE = join(ROOT, 'fixtures/captures/COINBASE.ws.28.0');

type Frame = Record<string, any>;

/** The received frames, decoded here independently of the adapter. */
function recorded(): Frame[] {
  return readFileSync(CAPTURE, 'utf8')
    .split('\n')
    .filter((l) => /^\d[\d.]*: /.test(l))
    .map((l) => JSON.parse(l.slice(l.indexOf(': ') + 2)) as Frame);
}

/**
 * A naive reference book: a snapshot replaces everything, each change sets or removes a level,
 * sorted at the end with plain numbers. Nothing in common with the gateway's book but the input.
 */
function referenceBooks(frames: Frame[]): Map<string, { bids: string[][]; asks: string[][] }> {
  const books = new Map<string, { bids: Map<string, string>; asks: Map<string, string> }>();
  for (const f of frames) {
    if (f['type'] === 'snapshot') {
      books.set(f['product_id'], { bids: new Map(f['bids']), asks: new Map(f['asks']) });
    } else if (f['type'] === 'l2update') {
      const b = books.get(f['product_id']);
      if (!b) continue;
      for (const [side, px, sz] of f['changes'] as string[][]) {
        const levels = side === 'buy' ? b.bids : b.asks;
        if (Number(sz) === 0) levels.delete(px as string);
        else levels.set(px as string, sz as string);
      }
    }
  }
  const out = new Map<string, { bids: string[][]; asks: string[][] }>();
  for (const [p, b] of books) {
    out.set(p, {
      bids: [...b.bids].sort((x, y) => Number(y[0]) - Number(x[0])),
      asks: [...b.asks].sort((x, y) => Number(x[0]) - Number(y[0])),
    });
  }
  return out;
}

/** How often a product's best bid or ask (price or size) changed with both sides present, by the naive book: the L1 messages expected. */
function topChanges(frames: Frame[]): number {
  const books = new Map<string, { bids: Map<string, string>; asks: Map<string, string> }>();
  const tops = new Map<string, string>();
  let changes = 0;
  for (const f of frames) {
    const product = f['product_id'] as string;
    if (f['type'] === 'snapshot') books.set(product, { bids: new Map(f['bids']), asks: new Map(f['asks']) });
    else if (f['type'] === 'l2update' && books.has(product)) {
      const b = books.get(product) as { bids: Map<string, string>; asks: Map<string, string> };
      for (const [side, px, sz] of f['changes'] as string[][]) {
        const levels = side === 'buy' ? b.bids : b.asks;
        if (Number(sz) === 0) levels.delete(px as string);
        else levels.set(px as string, sz as string);
      }
    } else continue;
    const b = books.get(product) as { bids: Map<string, string>; asks: Map<string, string> };
    const best = (m: Map<string, string>, better: (x: number, y: number) => boolean) =>
      [...m].reduce<[string, string] | undefined>((acc, l) => (!acc || better(Number(l[0]), Number(acc[0])) ? l : acc), undefined);
    const bid = best(b.bids, (x, y) => x > y);
    const ask = best(b.asks, (x, y) => x < y);
    if (!bid || !ask) continue;
    const key = `${bid.join(' ')} ${ask.join(' ')}`;
    if (tops.get(product) !== key) changes++;
    tops.set(product, key);
  }
  return changes;
}

describe('replay of COINBASE.ws.28.0 (level2 snapshot + l2update, ticker, matches for 10 products)', () => {
  const frames = recorded();
  const count = (type: string) => frames.filter((f) => f['type'] === type).length;

  it('ends with every book equal to a naive reference book built from the same frames, zero parse errors, no false gaps', async () => {
    const result = await replayCapture(CAPTURE);
    const matches = frames.filter((f) => f['type'] === 'match' || f['type'] === 'last_match');
    expect(result.report).toEqual({
      venue: 'coinbase',
      frames: frames.length,
      trades: new Set(matches.map((m) => `${m['product_id']}:${m['trade_id']}`)).size,
      // L1 follows each carried book's top (the ticker, sent only on a match, is skipped).
      l1: topChanges(frames),
      l2Updates: count('l2update'),
      snapshots: count('snapshot'),
      gaps: 0,
      resyncs: 0,
      checksumOk: 0,
      checksumMismatch: 0,
      parseErrors: 0,
      skipped: count('ticker') + count('subscriptions'),
    });
    const reference = referenceBooks(frames);
    expect(reference.size).toBe(10);
    for (const [product, want] of reference) {
      const book = result.feeds.get(product)?.book;
      expect({ product, state: book?.state }).toEqual({ product, state: 'live' });
      expect({ product, bids: book?.top('bid', Infinity), asks: book?.top('ask', Infinity) }).toEqual({ product, ...want });
    }
    closeReplay(result);
  });

  it('publishes every l2update whole, as an L2 delta with its levels exactly as received and a contiguous seq', async () => {
    const result = await replayCapture(CAPTURE);
    const updates = frames.filter((f) => f['type'] === 'l2update');
    const deltas = result.sink.l2s.filter((m) => !m.snapshot);
    expect(deltas).toHaveLength(updates.length);
    deltas.forEach((d, i) => {
      const u = updates[i] as Frame;
      const changes = u['changes'] as string[][];
      expect(d).toMatchObject({
        symbol: u['product_id'],
        bids: changes.filter((c) => c[0] === 'buy').map((c) => [c[1], c[2]]),
        asks: changes.filter((c) => c[0] === 'sell').map((c) => [c[1], c[2]]),
        ts: Date.parse(u['time']),
      });
    });
    for (const product of new Set(deltas.map((d) => d.symbol))) {
      const mine = result.sink.l2s.filter((m) => m.symbol === product);
      expect(mine[0]?.snapshot).toBe(true);
      for (let i = 1; i < mine.length; i++) expect(mine[i]?.prevSeq).toBe(mine[i - 1]?.seq);
    }
    closeReplay(result);
  });

  it('publishes each trade once, with the taker side (the opposite of Coinbase’s maker side) and the strings as received', async () => {
    const result = await replayCapture(CAPTURE);
    const matches = frames.filter((f) => f['type'] === 'match' || f['type'] === 'last_match');
    const want = matches.map((m) => ({
      symbol: m['product_id'],
      id: String(m['trade_id']),
      price: m['price'],
      size: m['size'],
      side: m['side'] === 'sell' ? 'buy' : 'sell',
      ts: Date.parse(m['time']),
    }));
    expect(result.sink.trades.map(({ symbol, id, price, size, side, ts }) => ({ symbol, id, price, size, side, ts }))).toEqual(want);
    // The recorded ticker names the taker side for the same trade id: it agrees.
    const ticker = frames.find((f) => f['type'] === 'ticker' && f['trade_id'] === 881613) as Frame;
    expect(result.sink.trades.find((t) => t.id === '881613')?.side).toBe(ticker['side']);
    closeReplay(result);
  });

  it('finds no hole in the recorded trade ids (contiguous per product) although match sequences jump', () => {
    const tracker = new TradeIdTracker();
    const matches = frames.filter((f) => f['type'] === 'match' || f['type'] === 'last_match');
    const bySeq = new Map<string, number[]>();
    for (const m of matches) {
      tracker.trade(m['product_id'], m['trade_id']);
      bySeq.set(m['product_id'], [...(bySeq.get(m['product_id']) ?? []), m['sequence']]);
    }
    // Sequences are not contiguous in the capture (they count every order event)…
    expect([...bySeq.values()].some((s) => s.some((v, i) => i > 0 && v !== (s[i - 1] as number) + 1))).toBe(true);
    // …and a heartbeat naming the last trade id seen, twice (the confirmation), reports nothing lost.
    for (const product of bySeq.keys()) {
      const last = tracker.maxOf(product) as number;
      expect([tracker.heartbeat(product, last), tracker.heartbeat(product, last)]).toEqual([undefined, undefined]);
    }
  });

  it('`npm run replay` prints the report as its last line with zero parse errors', () => {
    const out = execFileSync('npm', ['run', '--silent', 'replay', '--', 'fixtures/captures/COINBASE.ws.28.0'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 110_000,
    });
    const last = JSON.parse(out.trim().split('\n').pop() as string);
    expect(last).toMatchObject({ venue: 'coinbase', frames: frames.length, parseErrors: 0, gaps: 0, snapshots: 10 });
  }, 120_000);
});
