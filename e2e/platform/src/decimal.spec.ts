import { canonicalDecimal } from './decimal';

describe('canonicalDecimal', () => {
  it.each([
    ['60214.30000000', '60214.3'],
    ['60214.3', '60214.3'],
    ['335.0', '335'],
    ['0.00001000', '0.00001'],
    ['00012', '12'],
    ['0', '0'],
    ['0.000', '0'],
    ['1e-7', '0.0000001'],
    ['6.02143e4', '60214.3'],
    ['-1.50', '-1.5'],
    ['.5', '0.5'],
  ])('%s → %s', (input, expected) => {
    expect(canonicalDecimal(input)).toBe(expected);
  });

  it('takes JSON numbers (Kraken) and rejects what is not a decimal', () => {
    expect(canonicalDecimal(0.0001)).toBe('0.0001');
    expect(() => canonicalDecimal('abc')).toThrow('not a decimal');
    expect(() => canonicalDecimal('.')).toThrow('not a decimal');
  });
});
