import { decodeJson, encodeJson, PayloadError } from './codec';
import { HeartbeatSchema, L2Schema, type Trade, TradeSchema } from './messages';
import { dedupId, Subjects, toSubjectToken } from './subjects';
import { isSymbol, isVenue } from './venues';

// A Binance aggTrade from the recorded capture (fixtures/BINANCE.ws.1.0), normalized.
const trade: Trade = {
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

describe('subjects', () => {
  it('builds the ARCHITECTURE.md subjects', () => {
    const s = new Subjects();
    expect(s.trade('binance', 'BTC-USDT')).toBe('md.trade.binance.BTC-USDT');
    expect(s.l1('okx', 'ETH-USDT')).toBe('md.l1.okx.ETH-USDT');
    expect(s.l2('kraken', 'BTC-USD')).toBe('md.l2.kraken.BTC-USD');
    expect(s.status('bybit', 'SOL-USDT')).toBe('md.status.bybit.SOL-USDT');
    expect(s.allOf('trade')).toBe('md.trade.>');
    expect(s.heartbeat('cache-service', 'c-1')).toBe('svc.heartbeat.cache-service.c-1');
    expect(s.event('db-proxy', 'failover')).toBe('svc.event.db-proxy.failover');
    expect(s.query('cache', 'l1')).toBe('cache.l1');
    expect(s.stream('MD_TRADES')).toBe('MD_TRADES');
  });

  it('namespaces subjects and streams with a prefix', () => {
    const s = new Subjects('t42.');
    expect(s.trade('coinbase', 'BTC-USD')).toBe('t42.md.trade.coinbase.BTC-USD');
    expect(s.allHeartbeats()).toBe('t42.svc.heartbeat.>');
    expect(s.stream('MD_TRADES')).toBe('t42_MD_TRADES');
  });

  it('rejects a prefix that is not one token and a dot', () => {
    expect(() => new Subjects('a.b.')).toThrow(/must be one token followed by a dot/);
    expect(() => new Subjects('nodot')).toThrow();
  });

  it('makes deterministic dedup ids and safe tokens', () => {
    expect(dedupId('binance', 'BTC-USDT', 'trade', 2180127096)).toBe('binance:BTC-USDT:trade:2180127096');
    expect(toSubjectToken('host.local *>')).toBe('host_local___');
  });

  it('knows venues and symbols', () => {
    expect(isVenue('kraken')).toBe(true);
    expect(isVenue('ftx')).toBe(false);
    expect(isSymbol('BTC-USDT')).toBe(true);
    expect(isSymbol('BTC.USDT')).toBe(false);
    expect(isSymbol('btc-usdt')).toBe(false);
  });
});

describe('codec', () => {
  it('round-trips a trade keeping the exchange digits exactly', () => {
    const decoded = decodeJson(TradeSchema, encodeJson(trade), 'md.trade.binance.BTC-USDT');
    expect(decoded).toEqual(trade);
    expect(decoded.price).toBe('59470.01000000');
  });

  it('names the subject and every offending field', () => {
    const bad = { ...trade, price: 59470.01, side: 'up' };
    expect(() => decodeJson(TradeSchema, JSON.stringify(bad), 'md.trade.binance.BTC-USDT')).toThrow(PayloadError);
    try {
      decodeJson(TradeSchema, JSON.stringify(bad), 'md.trade.binance.BTC-USDT');
    } catch (err) {
      expect((err as Error).message).toMatch(/^invalid payload on md\.trade\.binance\.BTC-USDT: /);
      expect((err as Error).message).toContain('price:');
      expect((err as Error).message).toContain('side:');
    }
  });

  it('rejects truncated JSON with a clear message', () => {
    expect(() => decodeJson(TradeSchema, '{"v":1,"venue":"bin', 'md.trade.x')).toThrow(/invalid payload on md\.trade\.x: not JSON/);
  });

  it('validates L2 levels as [price, size] decimal strings', () => {
    const l2 = { v: 1, venue: 'kraken', symbol: 'BTC-USD', snapshot: false, bids: [['57000.1', '0']], asks: [], seq: 5, ts: 1, recvTs: 2 };
    expect(decodeJson(L2Schema, JSON.stringify(l2), 's').bids[0]).toEqual(['57000.1', '0']);
    expect(() => decodeJson(L2Schema, JSON.stringify({ ...l2, bids: [['57000.1']] }), 's')).toThrow(/bids\.0/);
  });

  it('validates heartbeats', () => {
    const hb = {
      v: 1,
      service: 'monitor',
      instance: 'm1',
      version: '0.1.0',
      healthUrl: 'http://m1:3000/health',
      status: 'warn',
      startedAt: 1,
      time: 2,
    };
    expect(decodeJson(HeartbeatSchema, JSON.stringify(hb), 'h').status).toBe('warn');
    expect(() => decodeJson(HeartbeatSchema, JSON.stringify({ ...hb, status: 'ok' }), 'h')).toThrow(/status/);
  });
});
