import { feedEntries, GatewayFeedsBodySchema, GatewayFeedSchema } from './feed.types';
import { FeedBoard } from './feed-board';

/**
 * The body of the market-data-gateway's `GET /v1/feeds`, as its FeedManager.describe() renders it
 * (apps/market-data-gateway/src/app/feeds/venue-feed.ts): per venue, connections and symbols.
 * `npm start` showed the monitor rejecting this shape; it must read every symbol of it.
 */
const gatewayBody = {
  venues: [
    {
      venue: 'binance',
      ws: 'ws://127.0.0.1:9101/ws',
      connections: [{ id: 1, connected: true, symbols: 2 }],
      adapter: {},
      symbols: [
        { symbol: 'BTC-USDT', native: 'BTCUSDT', channels: ['trades', 'l1', 'l2'], state: 'live', lastMessageAgeMs: 120, ratePerSecond: 84.5, seq: 991, counters: { trades: 10, l2: 80 } },
        { symbol: 'ETH-USDT', native: 'ETHUSDT', channels: ['trades', 'l1', 'l2'], state: 'resyncing', ratePerSecond: 12, counters: { trades: 1 } },
      ],
    },
    { venue: 'kraken', connections: [], symbols: [{ symbol: 'BTC-USD', native: 'BTC/USD', channels: ['l2'], state: 'live', lastMessageAgeMs: 50, ratePerSecond: 3 }] },
  ],
  publishing: { bufferedCore: 0, bufferedTrades: 0 },
};

describe("the gateway's /v1/feeds body", () => {
  it('yields one valid feed per venue and symbol, with rates and states the board rolls up', () => {
    const entries = feedEntries(GatewayFeedsBodySchema.parse(gatewayBody));
    const feeds = entries.map((e) => GatewayFeedSchema.parse(e));
    expect(feeds.map((f) => `${f.venue}/${f.symbol}`)).toEqual(['binance/BTC-USDT', 'binance/ETH-USDT', 'kraken/BTC-USD']);

    const board = new FeedBoard({ ewmaAlpha: 0.3, z: 4, warmup: 5, madWindow: 50, madK: 6, staleAfterMs: 10_000 });
    const now = 1_000_000;
    board.applyGateway('market-data-gateway/gw-1', feeds, now);
    const view = Object.fromEntries(board.list(now).map((f) => [`${f.venue}/${f.symbol}`, f]));
    expect(view['binance/BTC-USDT']).toMatchObject({ state: 'live', health: 'pass', rate: 84.5, seq: 991, ageMs: 120 });
    expect(view['binance/ETH-USDT']).toMatchObject({ state: 'resyncing', health: 'warn', rate: 12 });
    expect(view['kraken/BTC-USD']).toMatchObject({ health: 'pass', rate: 3 });
  });
});
