import { type Simulator, startSimulator } from '@cryptoscalp/exchange-simulator';
import { type FeedStatus, type L1, type L2, type Trade } from '@cryptoscalp/messaging';
import type { StartedService } from '@cryptoscalp/platform';
import { INFRA, testNamespace, waitFor } from '@cryptoscalp/testing';

import { connect, type NatsConnection } from 'nats';

import { json, recordMarketData, startGateway, waitForLive } from '../../../testing/gateway.spec-helpers';

jest.setTimeout(180_000);

const SYMBOLS = ['BTC-USDT', 'ETH-USDT'] as const;
const DEPTH = 50;

/** Every delta continues the message before it, except right after a snapshot. */
function chainBreaks(msgs: L2[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < msgs.length; i++) {
    const m = msgs[i] as L2;
    if (!m.snapshot && m.prevSeq !== (msgs[i - 1] as L2).seq) out.push(i);
  }
  return out;
}

describe('market-data-gateway against the exchange simulator (Bybit v5 spot)', () => {
  const ns = testNamespace('gwbyb');
  let sim: Simulator;
  let gw: StartedService;
  let nc: NatsConnection;
  const trades = new Map<string, Trade[]>();
  const l2 = new Map<string, L2[]>();
  const statuses = new Map<string, FeedStatus[]>();
  const statesOf = (symbol: string) => (statuses.get(symbol) ?? []).map((s) => s.state);

  beforeAll(async () => {
    sim = await startSimulator({ controlPort: 0, ports: { bybit: 0 }, venues: ['bybit'], symbols: [...SYMBOLS], rate: 40, seed: 23 });
    nc = await connect({ servers: INFRA.natsUrl });
    recordMarketData(nc, ns.subjectPrefix, { trades, l2, statuses });
    gw = await startGateway(ns, {
      GATEWAY_FEEDS: `bybit:${SYMBOLS.join(',')}`,
      BYBIT_WS_URL: sim.endpoints.bybit.ws,
      BYBIT_REST_URL: sim.endpoints.bybit.rest,
      BYBIT_BOOK_DEPTH: String(DEPTH),
    });
  });

  afterAll(async () => {
    await gw?.app.close();
    await nc?.drain();
    await sim?.stop();
  });

  it('syncs both books; a skipped u on one symbol resyncs it alone while the other keeps flowing', async () => {
    await waitForLive(gw.url, ['BTC-USDT', 'ETH-USDT']);
    const ethBefore = (l2.get('ETH-USDT') ?? []).length;
    sim.faults.arm({ type: 'gap', venue: 'bybit', symbol: 'BTC-USDT', count: 2 });
    await waitFor(() => statesOf('BTC-USDT').join() === 'connected,gap,resync,connected', 30_000);
    await waitFor(() => (l2.get('ETH-USDT') ?? []).length > ethBefore + 5, 15_000);
    expect(statesOf('ETH-USDT')).toEqual(['connected']);
    const eth = l2.get('ETH-USDT') ?? [];
    expect(eth.filter((m) => m.snapshot)).toHaveLength(1);
    expect(chainBreaks(eth)).toEqual([]);
    const btc = l2.get('BTC-USDT') ?? [];
    expect(btc.filter((m) => m.snapshot)).toHaveLength(2);
    expect(chainBreaks(btc)).toEqual([]);
  });

  it('a u=1 snapshot (service restart) replaces the book and the stream continues from it', async () => {
    const before = (l2.get('ETH-USDT') ?? []).length;
    const after = () => (l2.get('ETH-USDT') ?? []).slice(before);
    sim.faults.arm({ type: 'book_reset', venue: 'bybit', symbol: 'ETH-USDT' });
    await waitFor(() => after().some((m) => !m.snapshot && m.prevSeq === 1), 15_000);
    // The first message after the reset is the u=1 snapshot; nothing of the old sequence follows it.
    const first = after().findIndex((m) => m.snapshot);
    expect(after()[first]?.seq).toBe(1);
    expect(after().filter((m) => m.snapshot)).toHaveLength(1);
    expect(after()[first + 1]).toMatchObject({ snapshot: false, seq: 2, prevSeq: 1 });
    expect(chainBreaks(l2.get('ETH-USDT') ?? [])).toEqual([]);
    expect(statesOf('ETH-USDT').filter((s) => s !== 'connected')).toEqual([]);
  });

  it("equals the simulator's book once the markets stand still, and publishes every trade exactly once (NATS and JetStream)", async () => {
    await waitFor(() => SYMBOLS.every((s) => (trades.get(s) ?? []).length >= 20), 30_000);
    await json(`${sim.controlUrl}/api/rates`, { method: 'POST', body: JSON.stringify({ rate: 0 }) });
    for (const symbol of SYMBOLS) {
      const matched = await waitFor(async () => {
        const truth = (await json(`${sim.controlUrl}/api/book/bybit/${symbol}?depth=${DEPTH}`)).body;
        const ours = await json(`${gw.url}/v1/book/bybit/${symbol}?depth=${DEPTH}`);
        const same = ours.status === 200 && JSON.stringify([ours.body.bids, ours.body.asks]) === JSON.stringify([truth.bids, truth.asks]);
        return same ? { truth, ours: ours.body } : undefined;
      }, 15_000);
      expect({ bids: matched.ours.bids, asks: matched.ours.asks }).toEqual({ bids: matched.truth.bids, asks: matched.truth.asks });
      expect(matched.ours.bids).toHaveLength(DEPTH);
    }
    const jsm = await nc.jetstreamManager();
    for (const symbol of SYMBOLS) {
      // Simulator trade ids are sequential: unique, contiguous and ending at the last one generated.
      const last = sim.truth.report().venues['bybit']?.[symbol]?.lastTradeId ?? -1;
      const ids = await waitFor(() => {
        const got = (trades.get(symbol) ?? []).map((t) => Number(t.id));
        return got.includes(last) ? got : undefined;
      }, 15_000);
      expect(new Set(ids).size).toBe(ids.length);
      expect(Math.max(...ids) - Math.min(...ids) + 1).toBe(ids.length);
      const subject = `${ns.subjectPrefix}md.trade.bybit.${symbol}`;
      const stored = await waitFor(async () => {
        const info = await jsm.streams.info(`${ns.id}_MD_TRADES`, { subjects_filter: subject });
        const n = info.state.subjects?.[subject] ?? 0;
        return n === ids.length ? n : undefined;
      }, 15_000);
      expect(stored).toBe(ids.length);
    }
    // No frame of the simulator was misunderstood (the counter has no series until its first increment).
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    const parseErrors = metrics.split('\n').find((l) => l.startsWith('cs_gateway_parse_errors_total{') && l.includes('venue="bybit"'));
    expect(parseErrors ?? 'none').toMatch(/^none$| 0$/);
  });
});

describe('market-data-gateway against the exchange simulator (Bybit v5 spot and linear at once)', () => {
  // The simulator's linear BTCUSDT perpetual trades on its BTC-USDT market (only linear carries it here).
  const SPOT = 'ETH-USDT';
  const PERP = 'BTCPERP-USDT';
  const MARKET = 'BTC-USDT';
  const ns = testNamespace('gwbybl');
  let sim: Simulator;
  let gw: StartedService;
  let nc: NatsConnection;
  const trades = new Map<string, Trade[]>();
  const l2 = new Map<string, L2[]>();
  const statuses = new Map<string, FeedStatus[]>();
  const l1s: L1[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ controlPort: 0, ports: { bybit: 0 }, venues: ['bybit'], symbols: [MARKET, SPOT], rate: 40, seed: 29 });
    nc = await connect({ servers: INFRA.natsUrl });
    recordMarketData(nc, ns.subjectPrefix, { trades, l2, statuses });
    const sub = nc.subscribe(`${ns.subjectPrefix}md.l1.bybit.${PERP}`);
    void (async () => {
      for await (const m of sub) l1s.push(JSON.parse(new TextDecoder().decode(m.data)) as L1);
    })();
    await nc.flush();
    gw = await startGateway(ns, {
      GATEWAY_FEEDS: `bybit:${SPOT},${PERP}`,
      BYBIT_WS_URL: sim.endpoints.bybit.ws,
      BYBIT_REST_URL: sim.endpoints.bybit.rest,
      BYBIT_BOOK_DEPTH: String(DEPTH),
    });
  });

  afterAll(async () => {
    await gw?.app.close();
    await nc?.drain();
    await sim?.stop();
  });

  it('carries the spot and the linear symbol on separate connections; after the markets stop, the linear book equals the simulator, every linear trade once, L1 from merged ticker deltas equals its top', async () => {
    await waitForLive(gw.url, [SPOT, PERP]);
    // Two connections at the simulator: one on /v5/public/spot with the spot topics, one on /v5/public/linear with the perpetual's.
    const conns = (await json(`${sim.controlUrl}/api/connections`)).body.connections.filter((c: any) => c.venue === 'bybit');
    const topics = conns.map((c: any) => [...c.subscriptions].sort());
    expect(topics.sort((a: string[], b: string[]) => a[0].localeCompare(b[0]))).toEqual([
      ['linear|orderbook.50.BTCUSDT', 'linear|publicTrade.BTCUSDT', 'linear|tickers.BTCUSDT'],
      ['spot|orderbook.1.ETHUSDT', 'spot|orderbook.50.ETHUSDT', 'spot|publicTrade.ETHUSDT'],
    ]);
    await waitFor(() => (trades.get(PERP) ?? []).length >= 20 && l1s.length >= 5, 30_000);
    await json(`${sim.controlUrl}/api/rates`, { method: 'POST', body: JSON.stringify({ rate: 0 }) });

    // The linear book, digit for digit, once the last delta is applied.
    const matched = await waitFor(async () => {
      const truth = (await json(`${sim.controlUrl}/api/book/bybit/${MARKET}?depth=${DEPTH}`)).body;
      const ours = await json(`${gw.url}/v1/book/bybit/${PERP}?depth=${DEPTH}`);
      const same = ours.status === 200 && JSON.stringify([ours.body.bids, ours.body.asks]) === JSON.stringify([truth.bids, truth.asks]);
      return same ? { truth, ours: ours.body } : undefined;
    }, 20_000);
    expect({ bids: matched.ours.bids, asks: matched.ours.asks }).toEqual({ bids: matched.truth.bids, asks: matched.truth.asks });
    expect(matched.ours.bids).toHaveLength(DEPTH);

    // Every linear trade the simulator sent (only the linear connection carries that market), exactly once.
    const t = sim.truth.report().venues['bybit']?.[MARKET];
    const ids = await waitFor(() => {
      const got = (trades.get(PERP) ?? []).map((x) => Number(x.id));
      return got.includes(t?.lastTradeId ?? -1) ? got : undefined;
    }, 15_000);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => (ids[0] as number) + i));
    expect(ids.length).toBe(t?.tradesSent);
    const jsm = await nc.jetstreamManager();
    const subject = `${ns.subjectPrefix}md.trade.bybit.${PERP}`;
    const stored = await waitFor(async () => {
      const info = await jsm.streams.info(`${ns.id}_MD_TRADES`, { subjects_filter: subject });
      const n = info.state.subjects?.[subject] ?? 0;
      return n === ids.length ? n : undefined;
    }, 15_000);
    expect(stored).toBe(ids.length);

    // L1 of the perpetual: the tickers snapshot with every delta merged equals the simulator's top of book.
    const top = (await json(`${sim.controlUrl}/api/book/bybit/${MARKET}?depth=1`)).body;
    const last = await waitFor(() => {
      const q = l1s[l1s.length - 1];
      return q && q.bidPx === top.bids[0][0] && q.bidSz === top.bids[0][1] && q.askPx === top.asks[0][0] && q.askSz === top.asks[0][1]
        ? q
        : undefined;
    }, 15_000);
    expect([last.bidPx, last.bidSz, last.askPx, last.askSz]).toEqual([...top.bids[0], ...top.asks[0]]);
    expect(statesOf(PERP)).toEqual(['connected']);
    expect(statesOf(SPOT)).toEqual(['connected']);
    expect((l2.get(SPOT) ?? []).length).toBeGreaterThan(1);
  });

  const statesOf = (symbol: string) => (statuses.get(symbol) ?? []).map((s) => s.state);
});
