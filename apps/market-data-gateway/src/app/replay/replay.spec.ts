import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { closeReplay, replayCapture } from './replay';

const CAPTURES = join(__dirname, '../../../../../fixtures/captures');
const BINANCE = join(CAPTURES, 'BINANCE.ws.1.0');

/** The recorded frames, decoded independently of the gateway's parser. */
function recorded() {
  return readFileSync(BINANCE, 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l.slice(l.indexOf(': ') + 2)) as { stream: string; data: Record<string, any> });
}

describe('replay of BINANCE.ws.1.0 with the REST snapshots recorded beside it (BINANCE.http.0.0)', () => {
  it('syncs every depth stream on the recorded snapshot with zero gaps, and counts every channel', async () => {
    const result = await replayCapture(BINANCE);
    const frames = recorded();
    const count = (suffix: string) => frames.filter((f) => f.stream.endsWith(suffix)).length;
    const snapshots = readFileSync(join(CAPTURES, 'BINANCE.http.0.0'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('/api/v3/depth'));
    expect(result.report).toMatchObject({
      venue: 'binance',
      frames: frames.length,
      trades: count('@aggTrade'),
      l1: count('@bookTicker'),
      snapshots: snapshots.length,
      gaps: 0,
      resyncs: 0,
      checksumMismatch: 0,
      parseErrors: 0,
      skipped: count('@kline_1m'),
    });
    // Each symbol ends live at the last recorded update id.
    for (const [native, feed] of result.feeds) {
      const last = frames.filter((f) => f.stream.endsWith('@depth@100ms') && f.data['s'] === native).pop();
      expect({ native, state: feed.book?.state, seq: feed.book?.seq }).toEqual({ native, state: 'live', seq: last?.data['u'] });
    }
    closeReplay(result);
  });

  it("matches the exchange's own bookTicker wherever it names the same update id as the book (26 points in the capture)", async () => {
    // bookTicker `u` and depth `U`/`u` share Binance's order-book update id: at equal ids the best
    // levels must be identical, digit for digit.
    const tickers = recorded()
      .filter((f) => f.stream.endsWith('@bookTicker'))
      .map((f) => f.data);
    const checked: string[] = [];
    const mismatches: unknown[] = [];
    const result = await replayCapture(BINANCE, {
      afterFrame: (frame, feeds) => {
        if (!frame.text.includes('depthUpdate')) return;
        for (const [native, feed] of feeds) {
          const book = feed.book;
          if (!book?.isLive) continue;
          for (const t of tickers.filter((x) => x['s'] === native && x['u'] === book.seq)) {
            const key = `${native}@${t['u']}`;
            if (checked.includes(key)) continue;
            checked.push(key);
            const got = { bid: book.top('bid', 1)[0], ask: book.top('ask', 1)[0] };
            const want = { bid: [t['b'], t['B']], ask: [t['a'], t['A']] };
            if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push({ key, got, want });
          }
        }
      },
    });
    expect(mismatches).toEqual([]);
    expect(checked.length).toBeGreaterThanOrEqual(20);
    closeReplay(result);
  });

  it('publishes trades with the taker side and the strings as received', async () => {
    const result = await replayCapture(BINANCE);
    const agg = recorded().filter((f) => f.stream.endsWith('@aggTrade'))[0]?.data as Record<string, any>;
    expect(result.sink.trades[0]).toMatchObject({
      v: 1,
      venue: 'binance',
      id: `a${agg['a']}`,
      price: agg['p'],
      size: agg['q'],
      side: agg['m'] ? 'sell' : 'buy',
      ts: agg['T'],
    });
    closeReplay(result);
  });
});
