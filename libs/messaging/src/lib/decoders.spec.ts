import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { PayloadError } from './codec';
import { L1Decoder, L2Decoder, TradeDecoder, validateL1, validateL2, validateTrade, zodDecoder } from './decoders';
import { DECIMAL_PATTERN, L1Schema, L2Schema, TradeSchema } from './messages';

// Valid samples: a Binance aggTrade from the recorded capture (fixtures/BINANCE.ws.1.0), normalized,
// and book messages shaped as the architecture page describes.
const trade = {
  v: 1,
  venue: 'binance',
  symbol: 'BTC-USDT',
  id: '2180127096',
  price: '59470.01000000',
  size: '0.00074000',
  side: 'sell',
  ts: 1634145413113,
  recvTs: 1634145413285123,
};
const l1 = { v: 1, venue: 'okx', symbol: 'ETH-USDT', bidPx: '3500.1', bidSz: '2', askPx: '3500.2', askSz: '0.5', seq: 7, ts: 1, recvTs: 2 };
const l2 = {
  v: 1,
  venue: 'kraken',
  symbol: 'BTC-USD',
  snapshot: false,
  bids: [
    ['57000.1', '0'],
    ['56999.9', '1.5'],
  ],
  asks: [['57000.2', '3e-8']],
  seq: 5,
  prevSeq: 4,
  ts: 1,
  recvTs: 2,
};

// Values of every JSON type (and then some) put in place of each field.
const WRONG: unknown[] = [
  undefined,
  null,
  true,
  false,
  0,
  -1,
  1.5,
  -0.5,
  2 ** 53,
  -(2 ** 53),
  Number.MAX_SAFE_INTEGER,
  1e21,
  '',
  '1',
  '-1',
  '1.',
  '.5',
  '1e5',
  '1E-5',
  '1e',
  ' 1',
  '1,5',
  '0x10',
  '00',
  '1e+5',
  '1e-',
  '1e+',
  '1.5e3',
  '1.5E-03',
  '1..2',
  '1.2.3',
  '1.2e3.4',
  '1ee5',
  '\u0661',
  '1\n',
  '\n1',
  '1 ',
  '+1',
  '-0',
  'E5',
  '1.e5',
  'NaN',
  'abc',
  'BTC-USDT',
  'btc-usdt',
  'BTC.USDT',
  'BTC-USDT-PERP',
  'binance',
  'ftx',
  'buy',
  'sell',
  'BUY',
  [],
  ['1', '2'],
  ['1', '2', '3'],
  [['1', '2']],
  [['1']],
  [['1', '2', '3']],
  [[1, 2]],
  [['1', 'x']],
  {},
  { a: 1 },
];

function mutations(base: Record<string, unknown>): unknown[] {
  const out: unknown[] = [base, null, [], 'x', 1, [base], { ...base, extra: 'kept' }];
  for (const key of Object.keys(base)) {
    const { [key]: _dropped, ...without } = base;
    out.push(without);
    for (const w of WRONG) out.push({ ...base, [key]: w });
  }
  return out;
}

function agree(
  name: string,
  schema: { safeParse(v: unknown): { success: boolean } },
  fast: (v: unknown) => string | undefined,
  base: object,
) {
  it(`${name}: the hand-written validator accepts exactly what the zod schema accepts`, () => {
    const samples = mutations(base as Record<string, unknown>);
    let accepted = 0;
    for (const s of samples) {
      const bySchema = schema.safeParse(s).success;
      const byHand = fast(s) === undefined;
      if (bySchema !== byHand) throw new Error(`${name} disagreement (zod ${bySchema}, hand ${byHand}) on ${JSON.stringify(s)}`);
      if (bySchema) accepted++;
    }
    expect(samples.length).toBeGreaterThan(300);
    // Both valid and invalid samples were exercised.
    expect(accepted).toBeGreaterThan(10);
    expect(accepted).toBeLessThan(samples.length / 2);
  });
}

describe('hand-written validators agree with the zod contracts', () => {
  agree('Trade', TradeSchema, validateTrade, trade);
  agree('L1', L1Schema, validateL1, l1);
  agree('L1 without seq', L1Schema, validateL1, { ...l1, seq: undefined });
  agree('L2', L2Schema, validateL2, l2);
  agree('L2 snapshot', L2Schema, validateL2, { ...l2, snapshot: true, prevSeq: undefined, bids: [], asks: [] });

  it('agree on every trade, top of book and depth update of a recorded Binance session, normalized', () => {
    const file = join(__dirname, '../../../../../shared/fixtures/captures/BINANCE.ws.1.0');
    const frames = existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .map((line) => /^\d+\.\d+: (\{.*\})$/.exec(line)?.[1])
          .filter((json): json is string => !!json)
          .map((json) => (JSON.parse(json) as { data: Record<string, any> }).data)
      : [];
    const symbol = (s: string) => s.replace(/(USDT|BTC|ETH|EUR)$/, '-$1');
    let checked = 0;
    for (const d of frames) {
      let sample: unknown;
      let fast: (v: unknown) => string | undefined;
      let schema: { safeParse(v: unknown): { success: boolean } };
      if (d['e'] === 'aggTrade') {
        sample = {
          v: 1,
          venue: 'binance',
          symbol: symbol(d['s']),
          id: String(d['a']),
          price: d['p'],
          size: d['q'],
          side: d['m'] ? 'sell' : 'buy',
          ts: d['T'],
          recvTs: d['E'] * 1000,
        };
        [fast, schema] = [validateTrade, TradeSchema];
      } else if (d['e'] === 'depthUpdate') {
        sample = {
          v: 1,
          venue: 'binance',
          symbol: symbol(d['s']),
          snapshot: false,
          bids: d['b'],
          asks: d['a'],
          seq: d['u'],
          prevSeq: d['U'] - 1,
          ts: d['E'],
          recvTs: d['E'] * 1000,
        };
        [fast, schema] = [validateL2, L2Schema];
      } else if (d['u'] !== undefined && d['b'] !== undefined && d['B'] !== undefined) {
        sample = {
          v: 1,
          venue: 'binance',
          symbol: symbol(d['s']),
          bidPx: d['b'],
          bidSz: d['B'],
          askPx: d['a'],
          askSz: d['A'],
          seq: d['u'],
          ts: 1,
          recvTs: 2,
        };
        [fast, schema] = [validateL1, L1Schema];
      } else continue;
      expect(fast(sample)).toBeUndefined();
      expect(schema.safeParse(sample).success).toBe(true);
      checked++;
    }
    if (existsSync(file)) expect(checked).toBeGreaterThan(50);
  });
});

it('the decimal check agrees with DECIMAL_PATTERN on random strings over its alphabet', () => {
  const alphabet = ['0', '1', '9', '.', 'e', 'E', '+', '-', ' ', 'x'];
  let seed = 42;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), (seed >>> 12) % n);
  const digits = (max: number) => Array.from({ length: rand(max) }, () => String(rand(10))).join('');
  let valid = 0;
  for (let k = 0; k < 20_000; k++) {
    // Half well-formed decimals (some parts possibly empty), then a random edit of one character.
    let s = `${digits(4)}${rand(2) ? `.${digits(4)}` : ''}${rand(3) ? '' : `${['e', 'E'][rand(2)]}${['', '+', '-'][rand(3)]}${digits(3)}`}`;
    if (rand(2)) {
      const at = rand(s.length + 1);
      s = s.slice(0, at) + alphabet[rand(alphabet.length)] + s.slice(at + rand(2));
    }
    const byPattern = DECIMAL_PATTERN.test(s);
    const byHand = validateTrade({ ...trade, price: s }) === undefined;
    if (byPattern !== byHand) throw new Error(`disagreement on ${JSON.stringify(s)}`);
    if (byPattern) valid++;
  }
  expect(valid).toBeGreaterThan(500);
});

describe('decoders', () => {
  const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

  it('zodDecoder picks the fast validators for Trade/L1/L2 and returns the parsed object', () => {
    expect(zodDecoder(TradeSchema)).toBe(TradeDecoder);
    expect(zodDecoder(L1Schema)).toBe(L1Decoder);
    expect(zodDecoder(L2Schema)).toBe(L2Decoder);
    expect(TradeDecoder.decode(enc(trade), 's')).toEqual(trade);
    expect(L2Decoder.decode(enc(l2), 's').bids[1]).toEqual(['56999.9', '1.5']);
  });

  it('throws PayloadError naming the subject and the field, for bad JSON and bad fields', () => {
    expect(() => TradeDecoder.decode(enc('hello'), 'md.trade.x')).toThrow(PayloadError);
    expect(() => TradeDecoder.decode(enc('hello'), 'md.trade.x')).toThrow(/invalid payload on md\.trade\.x: not JSON/);
    expect(() => TradeDecoder.decode(enc({ ...trade, price: 1 }), 'md.trade.x')).toThrow(/price/);
    expect(() => L2Decoder.decode(enc({ ...l2, asks: [['1']] }), 's')).toThrow(/asks\.0/);
  });
});
