import { candlesQuery, encodeCursor, QueryError, tradesQuery } from './query-params';

const err = (fn: () => unknown): QueryError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof QueryError) return e;
    throw e;
  }
  throw new Error('expected a QueryError');
};

describe('query parameters (strict, 400 naming the parameter)', () => {
  const base = { venue: 'binance', symbol: 'BTC-USDT' };

  it.each([
    [{ ...base, venue: 'nyse' }, 'venue'],
    [{ ...base, symbol: 'btc_usdt' }, 'symbol'],
    [{ ...base, from: 'yesterday' }, 'from'],
    [{ ...base, from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'to'],
    [{ ...base, limit: '0' }, 'limit'],
    [{ ...base, limit: '5001' }, 'limit'],
    [{ ...base, limit: '10.5' }, 'limit'],
    [{ ...base, cursor: 'not a cursor' }, 'cursor'],
    [{ ...base, cursor: Buffer.from('[1,2]').toString('base64url') }, 'cursor'],
    [{ ...base, from: ['1', '2'] }, 'from'],
    [{ ...base, form: '1' }, 'form'],
  ])('trades %j → 400 naming %s', (input, parameter) => {
    const e = err(() => tradesQuery(input as Record<string, unknown>, 5000));
    expect(e.status).toBe(400);
    expect(e.parameter).toBe(parameter);
    expect(e.body()).toMatchObject({ statusCode: 400, parameter, message: expect.stringMatching(new RegExp(`^${parameter}: `)) });
  });

  it('accepts epoch ms and ISO times, and round-trips a cursor', () => {
    const q = tradesQuery({ ...base, from: '1634138213113', to: '2021-10-14T00:00:00Z', limit: '10', cursor: encodeCursor(1634138213200, 'a"b') }, 5000);
    expect(q).toEqual({ ...base, from: 1634138213113, to: Date.UTC(2021, 9, 14), limit: 10, cursor: { ts: 1634138213200, id: 'a"b' } });
  });

  it('candles: interval from the list, a default one-hour-ish window, bounded length', () => {
    const now = Date.UTC(2026, 0, 1, 12);
    expect(candlesQuery({ ...base }, now)).toEqual({ ...base, interval: '1m', from: now - 3_600_000, to: now });
    expect(err(() => candlesQuery({ ...base, interval: '7m' }, now)).parameter).toBe('interval');
    expect(err(() => candlesQuery({ ...base, from: '0' }, now)).parameter).toBe('from');
  });
});
