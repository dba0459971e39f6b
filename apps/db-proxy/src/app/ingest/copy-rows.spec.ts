import type { Trade } from '@cryptoscalp/messaging';

import { buildCopyBatch, copyEscape, isoMicros, isoMillis } from './copy-rows';

const trade = (id: string, ts: number): Trade => ({
  v: 1,
  venue: 'kraken',
  symbol: 'BTC-USD',
  id,
  price: '59470.01000000',
  size: '1e-8',
  side: 'sell',
  ts,
  recvTs: ts * 1000 + 7,
});

describe('COPY payload of a batch', () => {
  it('escapes what COPY text format treats specially in a trade id (backslash, tab, newline, CR)', () => {
    expect(copyEscape('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(copyEscape('123456')).toBe('123456');
  });

  it('writes one line per trade with the UTC day of its exchange time, and the highest stream sequence', () => {
    // 2021-10-13T15:16:53.113Z (Binance's documented trade example time) and one ms before midnight UTC.
    const b = buildCopyBatch([trade('1', 1634138213113), trade('x\ty', Date.UTC(2021, 9, 13, 23, 59, 59, 999))], [41, 40], 0);
    expect(b.text.split('\n')).toEqual([
      'kraken\tBTC-USD\t1\t2021-10-13\t2021-10-13T15:16:53.113Z\t59470.01000000\t1e-8\tsell\t2021-10-13T15:16:53.113007Z\t41',
      'kraken\tBTC-USD\tx\\ty\t2021-10-13\t2021-10-13T23:59:59.999Z\t59470.01000000\t1e-8\tsell\t2021-10-13T23:59:59.999007Z\t40',
      '',
    ]);
    expect(b).toMatchObject({ rows: 2, expired: 0, maxSeq: 41 });
    expect([...b.days]).toEqual([Date.UTC(2021, 9, 13) / 86_400_000]);
  });

  it('writes times as ISO 8601 UTC text exact to the millisecond and microsecond (no float rounding)', () => {
    expect(isoMillis(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(isoMillis(1634138213005)).toBe('2021-10-13T15:16:53.005Z');
    expect(isoMicros(1634138213000001)).toBe('2021-10-13T15:16:53.000001Z');
    expect(isoMicros(4102444799999999)).toBe('2099-12-31T23:59:59.999999Z');
    // Same second twice, then another: the cached second must not leak into the next one.
    expect([isoMillis(1000), isoMillis(1999), isoMillis(2000)]).toEqual(['1970-01-01T00:00:01.000Z', '1970-01-01T00:00:01.999Z', '1970-01-01T00:00:02.000Z']);
  });

  it('leaves out trades older than the oldest kept day (their partition is dropped) and counts them', () => {
    const keptFrom = Date.UTC(2024, 0, 10) / 86_400_000;
    const b = buildCopyBatch([trade('old', Date.UTC(2024, 0, 9, 23, 59, 59, 999)), trade('new', Date.UTC(2024, 0, 10))], [1, 2], keptFrom);
    expect(b).toMatchObject({ rows: 1, expired: 1, maxSeq: 2 });
    expect(b.text).toContain('\tnew\t2024-01-10\t');
    expect(b.text).not.toContain('\told\t');
    expect([b.stored(0), b.stored(1)]).toEqual([false, true]);
  });
});
