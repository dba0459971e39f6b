import { compareDecimal, decimalsOf, formatFixed, formatTrimmed, isZeroDecimal, parseFixed, trimDecimal } from './decimal';
import { InstrumentFormat, instrumentFromSteps } from './instrument';

describe('decimal strings', () => {
  it('renders ticks with the fixed decimals venues such as Kraken and Binance write', () => {
    // Binance REST depth writes "0.00000500"-style strings with 8 decimals (recorded BINANCE.http.0.0).
    expect(formatFixed(500, 8)).toBe('0.00000500');
    expect(formatFixed(602143, 1)).toBe('60214.3');
    expect(formatFixed(0, 2)).toBe('0.00');
    expect(formatFixed(7, 0)).toBe('7');
  });

  it('renders without trailing zeros the way OKX writes numbers ("30244", "0.08")', () => {
    expect(formatTrimmed(302440, 1)).toBe('30244');
    expect(formatTrimmed(8000, 5)).toBe('0.08');
    expect(trimDecimal('3366.10')).toBe('3366.1');
    expect(trimDecimal('0.000')).toBe('0');
    expect(trimDecimal('120')).toBe('120');
  });

  it('parses exactly and refuses digits it would lose', () => {
    expect(parseFixed('0.00000500', 8)).toBe(500);
    expect(parseFixed('60214.3', 2)).toBe(6021430);
    expect(parseFixed('1.2300', 2)).toBe(123);
    expect(() => parseFixed('1.234', 2)).toThrow('more than 2 decimals');
    expect(() => parseFixed('-1', 2)).toThrow('not a non-negative decimal');
    expect(() => parseFixed('abc', 2)).toThrow('not a non-negative decimal');
    expect(() => parseFixed('99999999999999999', 2)).toThrow('does not fit');
  });

  it('reads decimals from the tick and lot sizes venues publish', () => {
    // Binance exchangeInfo PRICE_FILTER tickSize "0.01000000", LOT_SIZE stepSize "0.00001000".
    expect(decimalsOf('0.01000000')).toBe(2);
    expect(decimalsOf('0.00001000')).toBe(5);
    // Kraken AssetPairs tick_size "0.1"; OKX tickSz "0.1", lotSz "0.00000001"; Bybit "1".
    expect(decimalsOf('0.1')).toBe(1);
    expect(decimalsOf('0.00000001')).toBe(8);
    expect(decimalsOf('1')).toBe(0);
    expect(decimalsOf('1e-8')).toBe(8);
    expect(() => decimalsOf('0')).toThrow('positive');
    expect(() => decimalsOf('x')).toThrow('positive');
  });

  it('compares decimals of any length exactly', () => {
    expect(compareDecimal('0.1', '0.10')).toBe(0);
    expect(compareDecimal('10', '9.9999')).toBe(1);
    expect(compareDecimal('0009.5', '9.50001')).toBe(-1);
    expect(compareDecimal('123456789012345678901.5', '123456789012345678901.4')).toBe(1);
    expect(isZeroDecimal('0')).toBe(true);
    expect(isZeroDecimal('0.00000000')).toBe(true);
    expect(isZeroDecimal('0.00000001')).toBe(false);
  });

  it('formats and parses an instrument built from published steps', () => {
    const fmt = new InstrumentFormat(instrumentFromSteps('btc', 'usdt', '0.01', '0.00001'));
    expect(fmt.spec.symbol).toBe('BTC-USDT');
    expect(fmt.price(6021430)).toBe('60214.30');
    expect(fmt.size(8000)).toBe('0.08000');
    expect(new InstrumentFormat(fmt.spec, 'trimmed').size(8000)).toBe('0.08');
    expect(fmt.ticks('60214.3')).toBe(6021430);
    expect(() => instrumentFromSteps('BTC.X', 'USD', '1', '1')).toThrow('BASE-QUOTE');
  });
});
