import { type Simulator, startSimulator } from '@cryptoscalp/exchange-simulator';
import { type FeedStatus, type L2, type Trade } from '@cryptoscalp/messaging';
import type { StartedService } from '@cryptoscalp/platform';
import { INFRA, testNamespace, waitFor } from '@cryptoscalp/testing';

import { connect, type NatsConnection } from 'nats';

import { json, recordMarketData, startGateway, waitForLive } from '../../testing/gateway.spec-helpers';

jest.setTimeout(120_000);

const SYMBOLS = ['BTC-USDT', 'ETH-USDT'] as const;
const native = (s: string) => s.replace('-', '');

describe('market-data-gateway against the exchange simulator (Binance spot)', () => {
  const ns = testNamespace('gwbn');
  let sim: Simulator;
  let gw: StartedService;
  let nc: NatsConnection;
  const trades = new Map<string, Trade[]>();
  const l2 = new Map<string, L2[]>();
  const statuses = new Map<string, FeedStatus[]>();

  beforeAll(async () => {
    sim = await startSimulator({ controlPort: 0, ports: { binance: 0 }, venues: ['binance'], symbols: [...SYMBOLS], rate: 40, seed: 11 });
    nc = await connect({ servers: INFRA.natsUrl });
    recordMarketData(nc, ns.subjectPrefix, { trades, l2, statuses });
    gw = await startGateway(ns, {
      GATEWAY_FEEDS: `binance:${SYMBOLS.join(',')}`,
      BINANCE_WS_URL: sim.endpoints.binance.ws,
      BINANCE_REST_URL: sim.endpoints.binance.rest,
      BINANCE_BOOK_DEPTH: '1000',
    });
  });

  afterAll(async () => {
    await gw?.app.close();
    await nc?.drain();
    await sim?.stop();
  });

  const statesOf = (symbol: string) => (statuses.get(symbol) ?? []).map((s) => s.state);

  it('syncs both books, then a gap on one symbol resyncs it alone while the other keeps flowing', async () => {
    await waitForLive(gw.url, ['BTC-USDT', 'ETH-USDT']);
    expect((await json(`${gw.url}/health/readiness`)).status).toBe(200);
    const ethBefore = (l2.get('ETH-USDT') ?? []).length;

    sim.faults.arm({ type: 'gap', venue: 'binance', symbol: 'BTC-USDT', count: 5 });
    await waitFor(() => statesOf('BTC-USDT').join() === 'connected,gap,resync,connected', 30_000);
    // The other symbol kept flowing and never resynced: its delta chain is unbroken end to end.
    await waitFor(() => (l2.get('ETH-USDT') ?? []).length > ethBefore + 5, 10_000);
    expect(statesOf('ETH-USDT')).toEqual(['connected']);
    const eth = l2.get('ETH-USDT') ?? [];
    expect(eth[0]?.snapshot).toBe(true);
    for (let i = 1; i < eth.length; i++) expect({ i, prevSeq: eth[i]?.prevSeq }).toEqual({ i, prevSeq: eth[i - 1]?.seq });
    // The faulted symbol: no delta was published between the gap and the new snapshot.
    const btc = l2.get('BTC-USDT') ?? [];
    const resnap = btc.findIndex((m, i) => i > 0 && m.snapshot);
    expect(resnap).toBeGreaterThan(0);
    for (let i = 1; i < resnap; i++) expect(btc[i]?.prevSeq).toBe(btc[i - 1]?.seq);
    for (let i = resnap + 1; i < btc.length; i++) expect(btc[i]?.prevSeq).toBe(btc[i - 1]?.seq);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/cs_gateway_gaps_total\{[^}]*venue="binance"[^}]*\} 1/);
  });

  it("equals the simulator's book exactly once the markets stand still, and publishes every trade exactly once (NATS and JetStream)", async () => {
    const sentSoFar = (symbol: string) => sim.truth.report().venues['binance']?.[symbol]?.tradesSent ?? 0;
    await waitFor(() => SYMBOLS.every((s) => sentSoFar(s) >= 30), 30_000);
    await json(`${sim.controlUrl}/api/rates`, { method: 'POST', body: JSON.stringify({ rate: 0 }) });
    for (const symbol of SYMBOLS) {
      // The simulator's own REST depth is the oracle (its market book, top 50).
      const matched = await waitFor(async () => {
        const truth = (await json(`${sim.endpoints.binance.rest}/api/v3/depth?symbol=${native(symbol)}&limit=50`)).body;
        const ours = await json(`${gw.url}/v1/book/binance/${symbol}?depth=50`);
        return ours.status === 200 && ours.body.seq === truth.lastUpdateId ? { truth, ours: ours.body } : undefined;
      }, 15_000);
      expect(matched.ours).toEqual({
        venue: 'binance',
        symbol,
        seq: matched.truth.lastUpdateId,
        bids: matched.truth.bids,
        asks: matched.truth.asks,
      });
      expect(matched.ours.bids).toHaveLength(50);
    }

    const truth = sim.truth.report().venues['binance'] ?? {};
    const jsm = await nc.jetstreamManager();
    for (const symbol of SYMBOLS) {
      const sent = truth[symbol]?.tradesSent ?? 0;
      expect(sent).toBeGreaterThanOrEqual(30);
      await waitFor(() => (trades.get(symbol) ?? []).length >= sent, 15_000);
      const ids = (trades.get(symbol) ?? []).map((t) => Number(t.id));
      expect(new Set(ids).size).toBe(ids.length); // no duplicate
      expect(ids.length).toBe(sent); // none lost
      expect(Math.max(...ids) - Math.min(...ids) + 1).toBe(sent); // a contiguous id range
      const subject = `${ns.subjectPrefix}md.trade.binance.${symbol}`;
      const stored = await waitFor(async () => {
        const info = await jsm.streams.info(`${ns.id}_MD_TRADES`, { subjects_filter: subject });
        const n = info.state.subjects?.[subject] ?? 0;
        return n === sent ? n : undefined;
      }, 15_000);
      expect(stored).toBe(sent);
    }
  });

  it('answers 400 for a bad depth and 404 for what it does not carry', async () => {
    const bad = await json(`${gw.url}/v1/book/binance/BTC-USDT?depth=abc`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('depth');
    expect((await json(`${gw.url}/v1/book/binance/DOGE-USDT`)).status).toBe(404);
    expect((await json(`${gw.url}/v1/book/kraken/BTC-USDT`)).status).toBe(404);
    const feeds = (await json(`${gw.url}/v1/feeds`)).body;
    expect(feeds.venues[0].symbols.map((s: any) => s.native).sort()).toEqual(['BTCUSDT', 'ETHUSDT']);
  });
});
