import { binanceDecimal } from './binance-depth';

describe('binanceDecimal', () => {
  it('renders integer units with 8 decimals, as toFixed(8) of the value does', () => {
    for (let decimals = 0; decimals <= 8; decimals++) {
      for (const units of [0, 1, 7, 10, 99, 100, 12_345, 600_000, 6_021_430, 123_456_789]) {
        expect(binanceDecimal(units, decimals)).toBe((units / 10 ** decimals).toFixed(8));
      }
    }
  });

  it('keeps more than 8 decimals when the instrument has them', () => {
    expect(binanceDecimal(12_345, 10)).toBe('0.0000012345');
  });
});
