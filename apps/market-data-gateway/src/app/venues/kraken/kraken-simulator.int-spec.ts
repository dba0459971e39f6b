import { RecordingClient, type Simulator, startSimulator } from '@cryptoscalp/exchange-simulator';
import { type FeedStatus, type L2, type Trade } from '@cryptoscalp/messaging';
import type { StartedService } from '@cryptoscalp/platform';
import { INFRA, testNamespace, waitFor } from '@cryptoscalp/testing';

import { connect, type NatsConnection } from 'nats';

import { json, recordMarketData, startGateway } from '../../../testing/gateway.spec-helpers';
import type { SessionContext } from '../venue-adapter';
import { krakenHarness } from './kraken-fixtures';

jest.setTimeout(120_000);

const SYMBOLS = ['BTC-USD', 'ETH-USDT'] as const;
const DEPTH = 25;

describe('market-data-gateway against the exchange simulator (Kraken WebSocket v2)', () => {
  const ns = testNamespace('gwkr');
  let sim: Simulator;
  let gw: StartedService;
  let nc: NatsConnection;
  const trades = new Map<string, Trade[]>();
  const l2 = new Map<string, L2[]>();
  const statuses = new Map<string, FeedStatus[]>();

  beforeAll(async () => {
    sim = await startSimulator({ controlPort: 0, ports: { kraken: 0 }, venues: ['kraken'], symbols: [...SYMBOLS], rate: 40, seed: 17 });
    nc = await connect({ servers: INFRA.natsUrl });
    recordMarketData(nc, ns.subjectPrefix, { trades, l2, statuses });
    gw = await startGateway(ns, {
      GATEWAY_FEEDS: `kraken:${SYMBOLS.join(',')}`,
      // Short enough that a silent market would kill the connection if heartbeats did not count.
      GATEWAY_CONNECTION_STALE_MS: '3000',
      KRAKEN_WS_URL: sim.endpoints.kraken.ws,
      KRAKEN_REST_URL: sim.endpoints.kraken.rest,
      KRAKEN_BOOK_DEPTH: String(DEPTH),
    });
  });

  afterAll(async () => {
    await gw?.app.close();
    await nc?.drain();
    await sim?.stop();
  });

  const feeds = async () => (await json(`${gw.url}/v1/feeds`)).body.venues.find((v: any) => v.venue === 'kraken');
  const statesOf = (symbol: string) => (statuses.get(symbol) ?? []).map((s) => s.state);

  it('names symbols from Kraken metadata (REST says XBT/USD, v2 says BTC/USD), syncs both books, and a bad checksum on one symbol resyncs it alone', async () => {
    await waitFor(async () => {
      const f = await feeds();
      return f?.symbols?.length === 2 && f.symbols.every((s: any) => s.state === 'live');
    }, 30_000);
    const f = await feeds();
    expect(Object.fromEntries(f.symbols.map((s: any) => [s.symbol, s.native]))).toEqual({ 'BTC-USD': 'BTC/USD', 'ETH-USDT': 'ETH/USDT' });
    const restPairs = (await json(`${sim.endpoints.kraken.rest}/0/public/AssetPairs`)).body.result;
    expect(Object.values(restPairs).map((p: any) => p.wsname)).toContain('XBT/USD');
    expect((await json(`${gw.url}/health/readiness`)).status).toBe(200);
    const ethBefore = (l2.get('ETH-USDT') ?? []).length;

    sim.faults.arm({ type: 'bad_checksum', venue: 'kraken', symbol: 'BTC-USD', count: 1 });
    await waitFor(() => statesOf('BTC-USD').join() === 'connected,checksum_mismatch,resync,connected', 30_000);
    await waitFor(() => (l2.get('ETH-USDT') ?? []).length > ethBefore + 5, 10_000);
    // The other symbol never resynced: one snapshot, then an unbroken chain of deltas.
    expect(statesOf('ETH-USDT')).toEqual(['connected']);
    const eth = l2.get('ETH-USDT') ?? [];
    expect(eth.filter((m) => m.snapshot)).toHaveLength(1);
    for (let i = 1; i < eth.length; i++) expect({ i, prevSeq: eth[i]?.prevSeq }).toEqual({ i, prevSeq: eth[i - 1]?.seq });
    // The faulted symbol: a second snapshot after the mismatch, deltas chained on either side of it.
    const btc = l2.get('BTC-USD') ?? [];
    const resnap = btc.findIndex((m, i) => i > 0 && m.snapshot);
    expect(resnap).toBeGreaterThan(0);
    for (let i = 1; i < btc.length; i++) if (i !== resnap) expect(btc[i]?.prevSeq).toBe(btc[i - 1]?.seq);
    expect(btc[resnap]?.seq).toBeGreaterThan(btc[resnap - 1]?.seq as number);
    const after = await feeds();
    expect(after.connections.map((c: any) => c.reconnects)).toEqual([0]);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/venue="kraken"/);
  });

  it("equals the simulator's book exactly (to the subscribed depth) once the markets stand still, and publishes every trade exactly once", async () => {
    const tradesMade = (symbol: string) => {
      const t = sim.truth.report().venues['kraken']?.[symbol];
      return t?.lastTradeId === undefined ? 0 : t.lastTradeId - (t.firstTradeId ?? 0) + 1;
    };
    await waitFor(() => SYMBOLS.every((s) => tradesMade(s) >= 20), 30_000);
    await json(`${sim.controlUrl}/api/rates`, { method: 'POST', body: JSON.stringify({ rate: 0 }) });
    for (const symbol of SYMBOLS) {
      // The simulator's own book is the oracle.
      const matched = await waitFor(async () => {
        const truth = (await json(`${sim.controlUrl}/api/book/kraken/${symbol}?depth=${DEPTH}`)).body;
        const ours = await json(`${gw.url}/v1/book/kraken/${symbol}?depth=${DEPTH}`);
        const same = ours.status === 200 && JSON.stringify([ours.body.bids, ours.body.asks]) === JSON.stringify([truth.bids, truth.asks]);
        return same ? { truth, ours: ours.body } : undefined;
      }, 15_000);
      expect(matched.ours).toMatchObject({ venue: 'kraken', symbol, bids: matched.truth.bids, asks: matched.truth.asks });
      expect(matched.ours.bids).toHaveLength(DEPTH);
      expect(matched.ours.asks).toHaveLength(DEPTH);
    }

    // Oracle: the trade ids the simulator's markets made (first..last). Its `tradesSent` is not used:
    // for Kraken it marks one trade per frame and misses batched and snapshot trades.
    const truth = sim.truth.report().venues['kraken'] ?? {};
    const jsm = await nc.jetstreamManager();
    for (const symbol of SYMBOLS) {
      const first = truth[symbol]?.firstTradeId as number;
      const last = truth[symbol]?.lastTradeId as number;
      const sent = last - first + 1;
      expect(sent).toBeGreaterThanOrEqual(20);
      await waitFor(() => (trades.get(symbol) ?? []).length >= sent, 15_000);
      const ids = (trades.get(symbol) ?? []).map((t) => Number(t.id)).sort((x, y) => x - y);
      // Every trade exactly once: the trade snapshot on subscribe covers those made before it.
      expect(ids).toEqual(Array.from({ length: sent }, (_, i) => first + i));
      const subject = `${ns.subjectPrefix}md.trade.kraken.${symbol}`;
      const stored = await waitFor(async () => {
        const info = await jsm.streams.info(`${ns.id}_MD_TRADES`, { subjects_filter: subject });
        const n = info.state.subjects?.[subject] ?? 0;
        return n === sent ? n : undefined;
      }, 15_000);
      expect(stored).toBe(sent);
    }
  });

  it('a silent market is not a dead connection: Kraken heartbeats keep it (stale limit 3 s) and the books stay live', async () => {
    // The markets stand still since the previous test.
    const beats = () => sim.truth.report().venues['kraken']?.['(all)']?.counts['heartbeat'] ?? 0;
    const start = beats();
    await waitFor(() => beats() >= start + 5, 20_000);
    const f = await feeds();
    expect(f.connections.map((c: any) => [c.connected, c.reconnects])).toEqual([[true, 0]]);
    expect(f.symbols.map((s: any) => s.state)).toEqual(['live', 'live']);
    // Every checksum the venue sent verified, apart from the one the fault corrupted.
    const books = Object.fromEntries(f.symbols.map((s: any) => [s.symbol, s.book]));
    expect(books['BTC-USD']).toMatchObject({ checksumMismatch: 1, resyncs: 1 });
    expect(books['ETH-USDT']).toMatchObject({ checksumMismatch: 0, resyncs: 0 });
    expect(books['ETH-USDT'].checksumOk).toBeGreaterThan(20);
  });
});

describe('Kraken v2 book frames recorded from the simulator (depth 10, levels leaving the depth not announced)', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ controlPort: 0, ports: { kraken: 0 }, venues: ['kraken'], symbols: ['ETH-USDT'], rate: 300, seed: 5 });
  });
  afterAll(() => sim?.stop());

  it('the adapter verifies every checksum; the same adapter without truncation fails', async () => {
    const c = await RecordingClient.connect(sim.endpoints.kraken.ws);
    c.send({ method: 'subscribe', params: { channel: 'book', symbol: ['ETH/USDT'], depth: 10 } });
    await c.until((f) => f.length > 400, 15_000);
    c.close();
    const run = (truncate: boolean) => {
      const wrap = (ctx: SessionContext): SessionContext =>
        truncate
          ? ctx
          : Object.assign(Object.create(ctx) as SessionContext, {
              book: (s: Parameters<SessionContext['book']>[0], o: Parameters<SessionContext['book']>[1]) =>
                ctx.book(s, { ...o, truncateTo: undefined }),
            });
      const h = krakenHarness(['ETH/USDT'], { channels: ['l2'], depth: 10, wrap });
      for (const f of c.frames) h.frame(f.text);
      return { parseErrors: h.ctx.parseErrors, ...h.ctx.books.get('ETH-USDT')?.counters };
    };
    const good = run(true);
    expect(good).toMatchObject({ parseErrors: 0, checksumMismatch: 0, resyncs: 0 });
    expect(good.checksumOk).toBeGreaterThan(300);
    expect(run(false).checksumMismatch).toBeGreaterThan(0);
  });
});
