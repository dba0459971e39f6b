import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { krakenChecksum, okxChecksum } from './checksum';

/** Recorded traffic lives in the repository's fixtures/ (see fixtures/README.md). */
const fixturePath = (name: string) => join(__dirname, '../../../../fixtures/captures', name);

type Book = { bids: Map<string, string>; asks: Map<string, string> };

function top(m: Map<string, string>, desc: boolean, n: number): [string, string][] {
  return [...m.entries()].sort((a, b) => (desc ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0]))).slice(0, n);
}

/**
 * Replays the recorded Kraken `book-1000` channel (fixtures/KRAKEN.ws.50.0) through a client
 * book and checks our checksum against every checksum Kraken sent: same algorithm as v2.
 */
describe('Kraken checksum against recorded Kraken traffic', () => {
  it('reproduces every recorded "c" of the capture', () => {
    const books = new Map<number, Book>();
    let checked = 0;
    for (const line of readFileSync(fixturePath('KRAKEN.ws.50.0'), 'utf8').split('\n')) {
      const m = /^[\d.]+: (\[.*\])$/.exec(line);
      if (!m) continue;
      const msg = JSON.parse(m[1] as string) as unknown[];
      const chan = msg[0] as number;
      const parts = msg.slice(1, -2) as Record<string, unknown>[];
      for (const p of parts) {
        if (p['as'] || p['bs']) {
          books.set(chan, {
            asks: new Map((p['as'] as [string, string][]).map(([px, q]) => [px, q])),
            bids: new Map((p['bs'] as [string, string][]).map(([px, q]) => [px, q])),
          });
          continue;
        }
        const book = books.get(chan);
        if (!book) continue;
        for (const [key, side] of [
          ['a', book.asks],
          ['b', book.bids],
        ] as const) {
          for (const [px, q] of (p[key] as [string, string][] | undefined) ?? []) {
            if (Number(q) === 0) side.delete(px);
            else side.set(px, q);
          }
        }
        for (const [side, desc] of [
          [book.asks, false],
          [book.bids, true],
        ] as const) {
          for (const [px] of top(side, desc, 100_000).slice(1000)) side.delete(px);
        }
        if (typeof p['c'] === 'string') {
          expect(krakenChecksum(top(book.bids, true, 10), top(book.asks, false, 10))).toBe(Number(p['c']));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
});

describe('OKX checksum against the values OKX published', () => {
  // OKX's checksum examples: the check string "3366.1:7:3366.8:9:3366:6:3368:8" (equal depth) and
  // "3366.1:7:3366.8:9:3368:8:3372:8" (the longer side continues alone), whose published
  // checksums are -1881014294 and 831078360 (OKX API docs, "Checksum" of the order book channel).
  it('reproduces the published checksum for equal depth on both sides', () => {
    const bids: [string, string][] = [
      ['3366.1', '7'],
      ['3366', '6'],
    ];
    const asks: [string, string][] = [
      ['3366.8', '9'],
      ['3368', '8'],
    ];
    expect(okxChecksum(bids, asks)).toBe(-1881014294);
  });

  it('reproduces the published checksum when one side is longer', () => {
    const bids: [string, string][] = [['3366.1', '7']];
    const asks: [string, string][] = [
      ['3366.8', '9'],
      ['3368', '8'],
      ['3372', '8'],
    ];
    expect(okxChecksum(bids, asks)).toBe(831078360);
  });

  it('uses the 25 best levels of each side only', () => {
    const bids: [string, string][] = [
      ['3366.1', '7'],
      ['3366', '6'],
    ];
    const asks: [string, string][] = [
      ['3366.8', '9'],
      ['3368', '8'],
    ];
    const deepBids = [...bids, ...Array.from({ length: 30 }, (_, i): [string, string] => [String(3000 - i), '1'])];
    const deepAsks = [...asks, ...Array.from({ length: 30 }, (_, i): [string, string] => [String(4000 + i), '1'])];
    const cut = (levels: [string, string][]) => levels.slice(0, 25);
    expect(okxChecksum(deepBids, deepAsks)).toBe(okxChecksum(cut(deepBids), cut(deepAsks)));
    expect(okxChecksum(deepBids, deepAsks)).not.toBe(okxChecksum(cut(deepBids).slice(0, 24), cut(deepAsks)));
  });
});
