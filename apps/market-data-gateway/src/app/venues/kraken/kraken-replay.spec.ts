import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { closeReplay, replayCapture } from '../../replay/replay';

const CAPTURES = join(__dirname, '../../../../../../fixtures/captures');
const BOOK = join(CAPTURES, 'KRAKEN.ws.50.0');
const TRADES = join(CAPTURES, 'KRAKEN.ws.48.0');

/** Received frames of a capture, decoded independently of the gateway (plain JSON.parse). */
function received(file: string): unknown[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => /^[\d.]+: /.test(l))
    .map((l) => JSON.parse(l.slice(l.indexOf(': ') + 2)) as unknown);
}

describe('replay of the recorded Kraken v1 book capture (KRAKEN.ws.50.0, book-1000 with CRC32 "c")', () => {
  it('verifies every checksum Kraken sent (4,269) with zero mismatches, zero gaps, zero resyncs, zero parse errors', async () => {
    const frames = received(BOOK);
    const checksums = frames.filter((f) => Array.isArray(f) && f.some((p) => p && typeof p === 'object' && 'c' in p)).length;
    const snapshots = frames.filter((f) => Array.isArray(f) && f.some((p) => p && typeof p === 'object' && 'as' in p)).length;
    expect(checksums).toBe(4269);
    const result = await replayCapture(BOOK);
    expect(result.report).toEqual({
      venue: 'kraken',
      frames: frames.length,
      trades: 0,
      l1: 0,
      l2Updates: checksums,
      snapshots,
      gaps: 0,
      resyncs: 0,
      checksumOk: checksums,
      checksumMismatch: 0,
      parseErrors: 0,
      skipped: frames.length - checksums - snapshots,
    });
    for (const feed of result.feeds.values())
      expect({ s: feed.symbol, state: feed.book?.state }).toEqual({ s: feed.symbol, state: 'live' });
    // Exact digits: the last update's levels are in the book as Kraken wrote them.
    const last = frames.filter(Array.isArray).at(-1) as unknown[];
    const pair = last.at(-1) as string;
    const part = last.find((p) => p && typeof p === 'object' && ('a' in p || 'b' in p)) as Record<string, string[][]>;
    const side = part['a'] ? 'ask' : 'bid';
    const [px, qty] = (part['a'] ?? part['b'])?.[0] as string[];
    const levels = result.feeds.get(pair)?.book?.top(side, 1000) ?? [];
    if (Number(qty) !== 0) expect(levels).toContainEqual([px, qty]);
    else expect(levels.map((l) => l[0])).not.toContain(px);
    closeReplay(result);
  });
});

describe('replay of the recorded Kraken v1 trade capture (KRAKEN.ws.48.0)', () => {
  it('publishes every recorded trade once, with taker side, digits and times as recorded, and no parse error', async () => {
    const recorded = received(TRADES)
      .filter((f): f is unknown[] => Array.isArray(f) && f.at(-2) === 'trade')
      .flatMap((f) => (f[1] as string[][]).map((t) => ({ pair: f.at(-1), t })));
    expect(recorded.length).toBeGreaterThan(5);
    const result = await replayCapture(TRADES);
    expect(result.report).toMatchObject({ venue: 'kraken', trades: recorded.length, parseErrors: 0, checksumMismatch: 0, gaps: 0 });
    expect(result.sink.trades.map((t) => [t.symbol, t.price, t.size, t.side, t.ts])).toEqual(
      recorded.map(({ pair, t }) => [pair, t[0], t[1], t[3] === 'b' ? 'buy' : 'sell', Math.floor(Number(t[2]) * 1000)]),
    );
    closeReplay(result);
  });
});
