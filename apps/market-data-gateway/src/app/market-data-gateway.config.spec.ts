import { ConfigError, loadConfig } from '@cryptoscalp/config';

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { redactSecrets } from './feeds/connection-context';
import { feedSpecs, GatewayConfigSchema, venueOverrides } from './market-data-gateway.config';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(GatewayConfigSchema, { env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

// A valid Coinbase secret is base64; these are the values no error may ever print.
const KEY = 'visible-key-4d2f';
const SECRET = 'c2VjcmV0LXZhbHVlLTk5';
const PASSPHRASE = 'pass-phrase-7731';

describe('gateway configuration', () => {
  it('rejects a bad GATEWAY_FEEDS with one line naming it and what was expected', () => {
    for (const [value, expected] of [
      ['binance', 'expected "venue:SYMBOL,SYMBOL;venue:SYMBOL"'],
      ['ftx:BTC-USDT', 'unknown venue "ftx"'],
      ['binance:BTCUSDT', '"BTCUSDT" is not a normalized BASE-QUOTE symbol'],
      ['binance:', 'no symbols for binance'],
    ] as const) {
      const p = problems({ GATEWAY_FEEDS: value });
      expect(p).toHaveLength(1);
      expect(p[0]).toMatch(/^GATEWAY_FEEDS: /);
      expect(p[0]).toContain(expected);
      expect(p[0]).not.toContain('\n');
    }
  });

  it('rejects bad channels, URLs, fallback lists and depths by name', () => {
    expect(problems({ GATEWAY_CHANNELS: 'trades,l3' })[0]).toMatch(/^GATEWAY_CHANNELS: expected a comma-separated list of trades, l1, l2/);
    expect(problems({ BINANCE_WS_URL: 'http://x' })[0]).toMatch(/^BINANCE_WS_URL: expected a ws:\/\/ or wss:\/\/ URL/);
    expect(problems({ OKX_WS_FALLBACK_URLS: 'wss://a, https://b' })[0]).toMatch(/^OKX_WS_FALLBACK_URLS: expected a comma-separated list/);
    expect(problems({ KRAKEN_BOOK_DEPTH: '0' })[0]).toMatch(/^KRAKEN_BOOK_DEPTH: expected at least 1/);
  });

  it('reads GATEWAY_FEEDS in the compact form, or as JSON with per-venue channels from GATEWAY_FEEDS_FILE', () => {
    expect(feedSpecs(loadConfig(GatewayConfigSchema, { env: { GATEWAY_FEEDS: 'binance:BTC-USDT,ETH-USDT;okx:BTC-USDT', GATEWAY_CHANNELS: 'l2' } }))).toEqual([
      { venue: 'binance', symbols: ['BTC-USDT', 'ETH-USDT'], channels: ['l2'] },
      { venue: 'okx', symbols: ['BTC-USDT'], channels: ['l2'] },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'gwcfg-'));
    const file = join(dir, 'feeds.json');
    writeFileSync(
      file,
      JSON.stringify([
        { venue: 'binance', symbols: ['BTC-USDT'] },
        { venue: 'binance', symbols: ['SOL-USDT'], channels: ['trades'] },
        { venue: 'okx', symbols: ['BTC-USDT'] },
      ]),
    );
    const cfg = loadConfig(GatewayConfigSchema, { env: { GATEWAY_FEEDS_FILE: file, GATEWAY_CHANNELS: 'l2' } });
    expect(feedSpecs(cfg)).toEqual([
      { venue: 'binance', symbols: ['BTC-USDT', 'SOL-USDT'], channels: ['l2', 'trades'] },
      { venue: 'okx', symbols: ['BTC-USDT'], channels: ['l2'] },
    ]);
    writeFileSync(file, '[{"venue":"ftx","symbols":["BTC-USDT"]}]');
    expect(problems({ GATEWAY_FEEDS_FILE: file })).toEqual([expect.stringMatching(/^GATEWAY_FEEDS: 0\.venue: expected binance, coinbase/)]);
    expect(problems({ GATEWAY_FEEDS_FILE: join(dir, 'missing.json') })[0]).toMatch(/^GATEWAY_FEEDS_FILE: cannot read secret file/);
  });

  it('reads per-venue URLs and the fallback endpoint list', () => {
    const cfg = loadConfig(GatewayConfigSchema, {
      env: { BINANCE_WS_URL: 'ws://127.0.0.1:1/ws', BINANCE_WS_FALLBACK_URLS: 'ws://127.0.0.1:2, ws://127.0.0.1:3', BINANCE_BOOK_DEPTH: '50' },
    });
    expect(venueOverrides(cfg, 'binance')).toEqual({
      wsUrl: 'ws://127.0.0.1:1/ws',
      wsFallbackUrls: ['ws://127.0.0.1:2', 'ws://127.0.0.1:3'],
      restUrl: undefined,
      bookDepth: 50,
      credentials: undefined,
    });
  });

  it('passes Coinbase credentials (also from _FILE forms) to the venue settings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gwcfg-'));
    writeFileSync(join(dir, 'secret'), `${SECRET}\n`);
    writeFileSync(join(dir, 'pass'), PASSPHRASE);
    const cfg = loadConfig(GatewayConfigSchema, {
      env: { COINBASE_API_KEY: KEY, COINBASE_API_SECRET_FILE: join(dir, 'secret'), COINBASE_API_PASSPHRASE_FILE: join(dir, 'pass') },
    });
    expect(venueOverrides(cfg, 'coinbase').credentials).toEqual({ key: KEY, secret: SECRET, passphrase: PASSPHRASE });
    expect(venueOverrides(cfg, 'binance').credentials).toBeUndefined();
  });

  it('reads the Coinbase trade backfill settings (0 turns it off) and names a bad value', () => {
    expect(venueOverrides(loadConfig(GatewayConfigSchema, { env: {} }), 'coinbase').tradeBackfill).toEqual({ maxTrades: 5000, delayMs: 1500 });
    const cfg = loadConfig(GatewayConfigSchema, { env: { COINBASE_BACKFILL_MAX_TRADES: '0', COINBASE_BACKFILL_DELAY_MS: '250' } });
    expect(venueOverrides(cfg, 'coinbase').tradeBackfill).toEqual({ maxTrades: 0, delayMs: 250 });
    expect(venueOverrides(cfg, 'okx').tradeBackfill).toBeUndefined();
    expect(problems({ COINBASE_BACKFILL_MAX_TRADES: '-1' })).toEqual(['COINBASE_BACKFILL_MAX_TRADES: expected 0 (off) or more (got "-1")']);
    expect(problems({ COINBASE_BACKFILL_DELAY_MS: 'soon' })[0]).toMatch(/^COINBASE_BACKFILL_DELAY_MS: /);
  });

  it('names a partial or malformed credential set without ever printing a credential', () => {
    const partial = problems({ COINBASE_API_SECRET: SECRET, COINBASE_API_PASSPHRASE: PASSPHRASE });
    expect(partial).toHaveLength(1);
    expect(partial[0]).toMatch(/^COINBASE_API_KEY: expected together with the other COINBASE_API_\* variables/);
    const malformed = problems({ COINBASE_API_KEY: KEY, COINBASE_API_SECRET: 'not base64!', COINBASE_API_PASSPHRASE: PASSPHRASE });
    expect(malformed).toHaveLength(1);
    expect(malformed[0]).toMatch(/^COINBASE_API_SECRET: .*\(got a value of 11 characters \(hidden\)\)$/);
    const onlyPassphrase = problems({ COINBASE_API_PASSPHRASE: PASSPHRASE });
    for (const line of [...partial, ...malformed, ...onlyPassphrase]) {
      for (const secret of [KEY, SECRET, PASSPHRASE, 'not base64!']) expect(line).not.toContain(secret);
    }
  });
});

describe('redactSecrets (logs and raw captures)', () => {
  it('masks the credentials of a signed Coinbase subscribe and of URLs, and keeps the rest', () => {
    const signed = JSON.stringify({
      type: 'subscribe',
      channels: [{ name: 'level2', product_ids: ['BTC-USD'] }],
      signature: 'c2lnbmF0dXJl+/==',
      key: KEY,
      passphrase: 'with "quote" inside',
      timestamp: '1700000000',
    });
    const out = redactSecrets(signed);
    expect(JSON.parse(out)).toEqual({ ...JSON.parse(signed), signature: '***', key: '***', passphrase: '***' });
    expect(redactSecrets('wss://user:hunter2@host/ws')).toBe('wss://user:***@host/ws');
  });
});
