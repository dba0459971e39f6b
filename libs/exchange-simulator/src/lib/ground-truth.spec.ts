import { GroundTruth } from './ground-truth';

describe('GroundTruth.tradesSent', () => {
  it('counts distinct trade ids, in any order, repeated or not', () => {
    const t = new GroundTruth();
    const ids = [1, 2, 3, 3, 7, 5, 6, 4, 10, 9, 2, 12, 11];
    t.tradesSent('okx', 'BTC-USDT', ids);
    expect(t.report().venues['okx']?.['BTC-USDT']?.tradesSent).toBe(new Set(ids).size);
  });

  it('one trade per frame: a trade counts only when one of its frames went out', () => {
    const t = new GroundTruth();
    t.trade('kraken', 'BTC-USD', 1);
    t.sent('kraken', 'BTC-USD', 'trade', 0); // nobody subscribed
    t.trade('kraken', 'BTC-USD', 2);
    t.sent('kraken', 'BTC-USD', 'trade', 3);
    t.sent('kraken', 'BTC-USD', 'ticker', 3);
    t.trade('kraken', 'BTC-USD', 3);
    t.sent('kraken', 'BTC-USD', 'ticker', 1); // not a trade frame
    expect(t.report().venues['kraken']?.['BTC-USD']).toMatchObject({ tradesSent: 1, firstTradeId: 1, lastTradeId: 3 });
  });
});
