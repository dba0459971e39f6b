import { type Simulator, startSimulator } from '@cryptoscalp/exchange-simulator';
import { type FeedStatus, type L2, type Trade } from '@cryptoscalp/messaging';
import type { StartedService } from '@cryptoscalp/platform';
import { INFRA, testNamespace, waitFor } from '@cryptoscalp/testing';

import { connect, type NatsConnection } from 'nats';

import { json, recordMarketData, startGateway, waitForLive } from '../../../testing/gateway.spec-helpers';
import { VENUE_ADAPTERS } from '../venue-registry';
import { CoinbaseAdapter } from './coinbase.adapter';

jest.setTimeout(180_000);

const SYMBOLS = ['BTC-USDT', 'ETH-USDT'] as const;

describe('market-data-gateway against the exchange simulator (Coinbase Exchange)', () => {
  const ns = testNamespace('gwcb');
  const registered = VENUE_ADAPTERS.coinbase;
  let adapter: CoinbaseAdapter;
  let sim: Simulator;
  let gw: StartedService;
  let nc: NatsConnection;
  const trades = new Map<string, Trade[]>();
  const l2 = new Map<string, L2[]>();
  const statuses = new Map<string, FeedStatus[]>();

  beforeAll(async () => {
    sim = await startSimulator({ controlPort: 0, ports: { coinbase: 0 }, venues: ['coinbase'], symbols: [...SYMBOLS], rate: 40, seed: 7 });
    nc = await connect({ servers: INFRA.natsUrl });
    recordMarketData(nc, ns.subjectPrefix, { trades, l2, statuses });
    // Audits every second, of the whole book (level 2), so that a silently lost update is found quickly.
    VENUE_ADAPTERS.coinbase = () =>
      (adapter = new CoinbaseAdapter({ audit: { intervalMs: 1000, minSpacingMs: 200, graceMs: 500, level: 2 } }));
    gw = await startGateway(ns, {
      GATEWAY_FEEDS: `coinbase:${SYMBOLS.join(',')}`,
      COINBASE_WS_URL: sim.endpoints.coinbase.ws,
      COINBASE_REST_URL: sim.endpoints.coinbase.rest,
    });
  });

  afterAll(async () => {
    VENUE_ADAPTERS.coinbase = registered;
    await gw?.app.close();
    await nc?.drain();
    await sim?.stop();
  });

  const statesOf = (symbol: string) => (statuses.get(symbol) ?? []).map((s) => s.state);
  const setRate = (rate: number, symbol?: string) =>
    json(`${sim.controlUrl}/api/rates`, { method: 'POST', body: JSON.stringify({ venue: 'coinbase', symbol, rate }) });
  /** Our book equals the simulator's (prices and sizes digit for digit); `seq` is the gateway's own for Coinbase. */
  const booksEqual = (symbol: string) =>
    waitFor(async () => {
      const truth = (await json(`${sim.controlUrl}/api/book/coinbase/${symbol}?depth=50`)).body;
      const ours = await json(`${gw.url}/v1/book/coinbase/${symbol}?depth=50`);
      if (ours.status !== 200 || JSON.stringify([ours.body.bids, ours.body.asks]) !== JSON.stringify([truth.bids, truth.asks]))
        return undefined;
      return { truth, ours: ours.body };
    }, 20_000);

  it('syncs both books from the feed; a silently lost book update on one symbol is found by the REST audit and resyncs it alone', async () => {
    await waitForLive(gw.url, ['BTC-USDT', 'ETH-USDT']);
    expect((await json(`${gw.url}/health/readiness`)).status).toBe(200);
    const ethBefore = (l2.get('ETH-USDT') ?? []).length;

    // level2_batch has no sequence: the skipped updates are invisible in the stream itself.
    sim.faults.arm({ type: 'gap', venue: 'coinbase', symbol: 'BTC-USDT', count: 10 });
    await waitFor(() => sim.faults.list().length === 0, 15_000);
    await setRate(0, 'BTC-USDT'); // the lost changes stay lost (nothing overwrites them)
    await waitFor(() => statesOf('BTC-USDT').join() === 'connected,resync,connected', 30_000);
    expect(statuses.get('BTC-USDT')?.[1]?.reason).toMatch(/^REST audit: /);
    expect(adapter.stats.audit.resyncs).toBe(1);
    const matched = await booksEqual('BTC-USDT');
    expect(matched.ours.bids).toHaveLength(50);

    // The other symbol kept flowing and never resynced: its delta chain is unbroken end to end.
    await waitFor(() => (l2.get('ETH-USDT') ?? []).length > ethBefore + 5, 10_000);
    expect(statesOf('ETH-USDT')).toEqual(['connected']);
    const eth = l2.get('ETH-USDT') ?? [];
    expect(eth[0]?.snapshot).toBe(true);
    for (let i = 1; i < eth.length; i++) expect({ i, prevSeq: eth[i]?.prevSeq }).toEqual({ i, prevSeq: eth[i - 1]?.seq });
    await setRate(40, 'BTC-USDT');
  });

  it('duplicated frames on one symbol change nothing: no resync, no duplicate trade', async () => {
    const before = statesOf('BTC-USDT').length;
    const btcBefore = (l2.get('BTC-USDT') ?? []).length;
    sim.faults.arm({ type: 'duplicate', venue: 'coinbase', symbol: 'BTC-USDT', count: 30 });
    await waitFor(() => sim.faults.list().length === 0, 15_000);
    await waitFor(() => (l2.get('BTC-USDT') ?? []).length > btcBefore + 40, 15_000);
    expect(statesOf('BTC-USDT').slice(before)).toEqual([]);
    expect(statesOf('ETH-USDT')).toEqual(['connected']);
  });

  it("equals the simulator's book exactly once the markets stand still, and publishes every trade exactly once (NATS and JetStream)", async () => {
    const sentSoFar = (symbol: string) => sim.truth.report().venues['coinbase']?.[symbol]?.tradesSent ?? 0;
    await waitFor(() => SYMBOLS.every((s) => sentSoFar(s) >= 30), 60_000);
    await setRate(0);
    for (const symbol of SYMBOLS) {
      const matched = await booksEqual(symbol);
      expect(matched.ours).toMatchObject({ venue: 'coinbase', symbol, bids: matched.truth.bids, asks: matched.truth.asks });
    }

    const truth = sim.truth.report().venues['coinbase'] ?? {};
    const jsm = await nc.jetstreamManager();
    for (const symbol of SYMBOLS) {
      const t = truth[symbol];
      const sent = t?.tradesSent ?? 0;
      expect(sent).toBeGreaterThanOrEqual(30);
      await waitFor(() => Math.max(0, ...(trades.get(symbol) ?? []).map((x) => Number(x.id))) === t?.lastTradeId, 15_000);
      const ids = (trades.get(symbol) ?? []).map((x) => Number(x.id));
      expect(new Set(ids).size).toBe(ids.length); // no duplicate
      expect(Math.max(...ids) - Math.min(...ids) + 1).toBe(ids.length); // none lost in between
      // Every match the simulator sent, plus the trade of `last_match` on subscribe (made before we subscribed).
      expect(ids.length - sent).toBeGreaterThanOrEqual(0);
      expect(ids.length - sent).toBeLessThanOrEqual(1);
      const subject = `${ns.subjectPrefix}md.trade.coinbase.${symbol}`;
      const stored = await waitFor(async () => {
        const info = await jsm.streams.info(`${ns.id}_MD_TRADES`, { subjects_filter: subject });
        const n = info.state.subjects?.[subject] ?? 0;
        return n === ids.length ? n : undefined;
      }, 15_000);
      expect(stored).toBe(ids.length);
    }
    expect(adapter.stats.tradeGaps).toBe(0);
  });

  it('a dropped connection loses no trade: the ones made while disconnected are backfilled from REST, every id once, each hole in id order', async () => {
    const idsOf = (symbol: string) => (trades.get(symbol) ?? []).map((x) => Number(x.id));
    const lastMade = (symbol: string) => sim.truth.report().venues['coinbase']?.[symbol]?.lastTradeId ?? 0;
    // The window starts after the last trade made so far (all of them published: previous test).
    const start = Object.fromEntries(
      SYMBOLS.map((s) => [s, { made: lastMade(s), published: idsOf(s).length, status: statesOf(s).length }]),
    );
    await setRate(60);
    await waitFor(() => SYMBOLS.every((s) => idsOf(s).length >= start[s].published + 10), 30_000);
    // Cut the connection and refuse the next two attempts: the markets keep trading meanwhile.
    sim.faults.arm({ type: 'connection_limit', venue: 'coinbase', count: 2 });
    sim.faults.arm({ type: 'drop', venue: 'coinbase' });
    await waitFor(() => SYMBOLS.every((s) => statesOf(s).slice(start[s].status).includes('disconnected')), 15_000);
    for (const s of SYMBOLS) sim.step('coinbase', s, 40); // certainly made while nobody is connected
    await waitFor(() => SYMBOLS.every((s) => statesOf(s).slice(start[s].status).join() === 'disconnected,connected'), 30_000);
    await waitFor(() => SYMBOLS.every((s) => idsOf(s).length >= start[s].published + 60), 30_000);
    await setRate(0);

    const jsm = await nc.jetstreamManager();
    let late = 0;
    for (const symbol of SYMBOLS) {
      const last = lastMade(symbol);
      const window = Array.from({ length: last - start[symbol].made }, (_, i) => start[symbol].made + 1 + i);
      // Oracle: every id the simulator made in the window, published exactly once.
      await waitFor(() => window.every((id) => idsOf(symbol).includes(id)), 20_000);
      const ids = idsOf(symbol);
      expect(new Set(ids).size).toBe(ids.length);
      const published = ids.slice(start[symbol].published);
      expect([...published].sort((a, b) => a - b)).toEqual(window);
      // Live trades in id order; the backfilled ones (arriving after a higher id) in id order too.
      const backfilled = published.filter((id, i) => published.slice(0, i).some((x) => x > id));
      const live = published.filter((id) => !backfilled.includes(id));
      expect(live).toEqual([...live].sort((a, b) => a - b));
      expect(backfilled).toEqual([...backfilled].sort((a, b) => a - b));
      late += backfilled.length;
      // The backfilled trades are the venue's (REST): same price and size, taker = not the REST (maker) side.
      const lowest = Math.min(...backfilled);
      const rest = (await json(`${sim.endpoints.coinbase.rest}/products/${symbol}/trades?after=${Math.max(...backfilled) + 1}&limit=1000`))
        .body;
      const venueTrades = new Map<number, any>(rest.map((t: any) => [t.trade_id, t]));
      for (const t of (trades.get(symbol) ?? []).filter((x) => Number(x.id) >= lowest && backfilled.includes(Number(x.id)))) {
        const v = venueTrades.get(Number(t.id));
        expect({ id: t.id, price: Number(t.price), size: Number(t.size), side: t.side }).toEqual({
          id: String(v.trade_id),
          price: Number(v.price),
          size: Number(v.size),
          side: v.side === 'buy' ? 'sell' : 'buy',
        });
      }
      const subject = `${ns.subjectPrefix}md.trade.coinbase.${symbol}`;
      const stored = await waitFor(async () => {
        const info = await jsm.streams.info(`${ns.id}_MD_TRADES`, { subjects_filter: subject });
        const n = info.state.subjects?.[subject] ?? 0;
        return n === ids.length ? n : undefined;
      }, 15_000);
      expect(stored).toBe(ids.length);
      expect(statesOf(symbol).slice(start[symbol].status)).toEqual(['disconnected', 'connected']);
    }
    expect(late).toBeGreaterThan(0);
    expect(adapter.stats.backfill).toMatchObject({ trades: late, unfilled: 0, failed: 0, alreadySeen: 0 });
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    const counter = metrics.split('\n').find((l) => l.startsWith('cs_gateway_adapter_counter{') && l.includes('name="backfill_trades"'));
    expect(counter).toMatch(new RegExp(`venue="coinbase".* ${late}$`));
  });
});
