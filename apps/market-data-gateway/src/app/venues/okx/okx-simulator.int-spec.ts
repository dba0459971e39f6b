import { type Simulator, startSimulator } from '@cryptoscalp/exchange-simulator';
import { trimDecimal } from '@cryptoscalp/market';
import { type FeedStatus, type L2, type Trade } from '@cryptoscalp/messaging';
import { type StartedService, startService } from '@cryptoscalp/platform';
import { INFRA, testNamespace, waitFor } from '@cryptoscalp/testing';

import { connect, type NatsConnection } from 'nats';

import { json, waitForLive } from '../../../testing/gateway.spec-helpers';
import { AppModule } from '../../app.module';
import { GatewayConfigSchema } from '../../market-data-gateway.config';

jest.setTimeout(180_000);

const SYMBOLS = ['BTC-USDT', 'ETH-USDT'] as const;

/** The value of a Prometheus sample whose labels include all of `labels` (0 when absent). */
function metricValue(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

/** Collects what the gateway publishes on NATS under a namespace, by kind and symbol. */
class Published {
  readonly trades = new Map<string, Trade[]>();
  readonly l2 = new Map<string, L2[]>();
  readonly statuses = new Map<string, FeedStatus[]>();

  listen(nc: NatsConnection, prefix: string): void {
    const sub = nc.subscribe(`${prefix}md.>`);
    void (async () => {
      for await (const m of sub) {
        const body = JSON.parse(new TextDecoder().decode(m.data));
        const kind = m.subject.slice(prefix.length).split('.')[1];
        const map = kind === 'trade' ? this.trades : kind === 'l2' ? this.l2 : kind === 'status' ? this.statuses : undefined;
        if (!map) continue;
        if (!map.has(body.symbol)) map.set(body.symbol, []);
        map.get(body.symbol)?.push(body);
      }
    })();
  }

  states(symbol: string): string[] {
    return (this.statuses.get(symbol) ?? []).map((s) => s.state);
  }
}

interface Rig {
  sim: Simulator;
  gw: StartedService;
  nc: NatsConnection;
  pub: Published;
  ns: ReturnType<typeof testNamespace>;
}

async function startRig(name: string, okx: Record<string, unknown>): Promise<Rig> {
  const ns = testNamespace(name);
  const sim = await startSimulator({
    controlPort: 0,
    ports: { okx: 0 },
    venues: ['okx'],
    symbols: [...SYMBOLS],
    rate: 40,
    seed: 5,
    venueOptions: { okx },
  });
  const nc = await connect({ servers: INFRA.natsUrl });
  const pub = new Published();
  pub.listen(nc, ns.subjectPrefix);
  const config = GatewayConfigSchema.parse({
    NATS_URL: INFRA.natsUrl,
    NATS_SUBJECT_PREFIX: ns.subjectPrefix,
    INSTANCE_ID: `${ns.id}-gw`,
    SHUTDOWN_DRAIN_MS: '0',
    LOG_LEVEL: 'warn',
    GATEWAY_FEEDS: `okx:${SYMBOLS.join(',')}`,
    OKX_WS_URL: sim.endpoints.okx.ws,
    OKX_REST_URL: sim.endpoints.okx.rest,
  });
  const gw = await startService(AppModule.forRoot(config), { logs: false, port: 0 });
  return { sim, gw, nc, pub, ns };
}

async function stopRig(rig: Rig | undefined): Promise<void> {
  await rig?.gw.app.close();
  await rig?.nc.drain();
  await rig?.sim.stop();
}

async function bothLive(rig: Rig): Promise<void> {
  await waitForLive(rig.gw.url, ['BTC-USDT', 'ETH-USDT']);
}

/** Every delta continues the message before it, except right after a snapshot. */
function chainBreaks(msgs: L2[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < msgs.length; i++) {
    const m = msgs[i] as L2;
    if (!m.snapshot && m.prevSeq !== (msgs[i - 1] as L2).seq) out.push(i);
  }
  return out;
}

/** After `POST /api/rates {"rate":0}`: the gateway's book equals the simulator's market book, digit for digit. */
async function expectBooksEqualSimulator(rig: Rig, depth: number): Promise<void> {
  await waitFor(() => SYMBOLS.every((s) => (rig.pub.trades.get(s) ?? []).length >= 20), 30_000);
  await json(`${rig.sim.controlUrl}/api/rates`, { method: 'POST', body: JSON.stringify({ rate: 0 }) });
  for (const symbol of SYMBOLS) {
    const matched = await waitFor(async () => {
      // The venue's own REST book (trimmed numbers, as OKX writes them) and the control API's ground truth.
      const rest = (await json(`${rig.sim.endpoints.okx.rest}/api/v5/market/books?instId=${symbol}&sz=${depth}`)).body.data[0];
      const truth = (await json(`${rig.sim.controlUrl}/api/book/okx/${symbol}?depth=${depth}`)).body;
      const ours = await json(`${rig.gw.url}/v1/book/okx/${symbol}?depth=${depth}`);
      const two = (ls: string[][]) => ls.map(([p, s]) => [p, s]);
      const same =
        ours.status === 200 && JSON.stringify([ours.body.bids, ours.body.asks]) === JSON.stringify([two(rest.bids), two(rest.asks)]);
      return same ? { rest, truth, ours: ours.body } : undefined;
    }, 15_000);
    expect(matched.ours.bids).toEqual(matched.rest.bids.map(([p, s]: string[]) => [p, s]));
    expect(matched.ours.asks).toEqual(matched.rest.asks.map(([p, s]: string[]) => [p, s]));
    const trim = (ls: string[][]) => ls.map(([p, s]) => [trimDecimal(p as string), trimDecimal(s as string)]);
    expect({ bids: matched.ours.bids, asks: matched.ours.asks }).toEqual({
      bids: trim(matched.truth.bids),
      asks: trim(matched.truth.asks),
    });
    expect(matched.ours.bids).toHaveLength(depth);
  }
}

/**
 * Every trade the simulator generated since the gateway subscribed arrived exactly once: ids are the
 * simulator's sequential trade ids, so they must be unique, contiguous and end at the last one it
 * generated (the markets stand still by now). The simulator's `tradesSent` is not used: it counts a
 * batched OKX `trades` frame as one trade.
 */
async function expectTradesExactlyOnce(rig: Rig): Promise<void> {
  const jsm = await rig.nc.jetstreamManager();
  for (const symbol of SYMBOLS) {
    const last = rig.sim.truth.report().venues['okx']?.[symbol]?.lastTradeId ?? -1;
    const ids = await waitFor(() => {
      const got = (rig.pub.trades.get(symbol) ?? []).map((t) => Number(t.id));
      return got.includes(last) ? got : undefined;
    }, 15_000);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.max(...ids)).toBe(last);
    expect(Math.max(...ids) - Math.min(...ids) + 1).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(20);
    const subject = `${rig.ns.subjectPrefix}md.trade.okx.${symbol}`;
    const stored = await waitFor(async () => {
      const info = await jsm.streams.info(`${rig.ns.id}_MD_TRADES`, { subjects_filter: subject });
      const n = info.state.subjects?.[subject] ?? 0;
      return n === ids.length ? n : undefined;
    }, 15_000);
    expect(stored).toBe(ids.length);
  }
}

describe('market-data-gateway against the exchange simulator (OKX v5, WebSocket snapshots, checksum 0)', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig('gwokx', {});
  });
  afterAll(() => stopRig(rig));

  it('syncs both books; a gap on one symbol resyncs it alone while the other keeps flowing', async () => {
    await bothLive(rig);
    const ethBefore = (rig.pub.l2.get('ETH-USDT') ?? []).length;
    rig.sim.faults.arm({ type: 'gap', venue: 'okx', symbol: 'BTC-USDT', count: 3 });
    await waitFor(() => rig.pub.states('BTC-USDT').join() === 'connected,gap,resync,connected', 30_000);
    await waitFor(() => (rig.pub.l2.get('ETH-USDT') ?? []).length > ethBefore + 5, 15_000);
    expect(rig.pub.states('ETH-USDT')).toEqual(['connected']);
    const eth = rig.pub.l2.get('ETH-USDT') ?? [];
    expect(eth[0]?.snapshot).toBe(true);
    expect(eth.filter((m) => m.snapshot)).toHaveLength(1);
    expect(chainBreaks(eth)).toEqual([]);
    const btc = rig.pub.l2.get('BTC-USDT') ?? [];
    expect(btc.filter((m) => m.snapshot)).toHaveLength(2);
    expect(chainBreaks(btc)).toEqual([]);
  });

  it('a sequence reset (seqId < prevSeqId) re-snapshots that symbol', async () => {
    rig.sim.faults.arm({ type: 'book_reset', venue: 'okx', symbol: 'ETH-USDT' });
    await waitFor(() => rig.pub.states('ETH-USDT').join() === 'connected,resync,connected', 30_000);
    expect(rig.pub.states('BTC-USDT')).toEqual(['connected', 'gap', 'resync', 'connected']);
    expect(chainBreaks(rig.pub.l2.get('ETH-USDT') ?? [])).toEqual([]);
  });

  it('rotates on the 64008 notice (make-before-break) without losing or doubling a trade', async () => {
    const metrics = async () => (await fetch(`${rig.gw.url}/metrics`)).text();
    rig.sim.faults.arm({ type: 'server_close', venue: 'okx' });
    await waitFor(async () => metricValue(await metrics(), 'cs_gateway_rotations_total', { venue: 'okx' }) === 1, 20_000);
    await bothLive(rig);
    const sentSoFar = (s: string) => rig.sim.truth.report().venues['okx']?.[s]?.tradesSent ?? 0;
    const before = Object.fromEntries(SYMBOLS.map((s) => [s, sentSoFar(s)]));
    await waitFor(() => SYMBOLS.every((s) => sentSoFar(s) >= (before[s] ?? 0) + 10), 30_000);
  });

  it("equals the simulator's book once the markets stand still, and publishes every trade exactly once (NATS and JetStream)", async () => {
    await expectBooksEqualSimulator(rig, 50);
    await expectTradesExactlyOnce(rig);
    const metrics = await (await fetch(`${rig.gw.url}/metrics`)).text();
    expect(metricValue(metrics, 'cs_gateway_parse_errors_total', { venue: 'okx' })).toBe(0);
  });
});

describe('market-data-gateway against the exchange simulator (OKX v5, REST snapshots with seqId, CRC32 checksums)', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig('gwokxr', { booksSnapshot: 'rest', checksum: 'crc32' });
  });
  afterAll(() => stopRig(rig));

  it('starts books from the REST snapshot, verifies every checksum, and resyncs one symbol on a bad checksum', async () => {
    await bothLive(rig);
    const checksums = async (result: string) =>
      metricValue(await (await fetch(`${rig.gw.url}/metrics`)).text(), 'cs_gateway_checksums_total', { venue: 'okx', result });
    await waitFor(async () => (await checksums('ok')) > 20, 15_000);
    expect(await checksums('mismatch')).toBe(0);
    rig.sim.faults.arm({ type: 'bad_checksum', venue: 'okx', symbol: 'ETH-USDT' });
    await waitFor(() => rig.pub.states('ETH-USDT').join() === 'connected,checksum_mismatch,resync,connected', 30_000);
    expect(rig.pub.states('BTC-USDT')).toEqual(['connected']);
    expect(chainBreaks(rig.pub.l2.get('BTC-USDT') ?? [])).toEqual([]);
    expect(await checksums('mismatch')).toBe(1);
    // Books started from REST: no subscription was repeated for a snapshot.
    const snapshotRequests = metricValue(await (await fetch(`${rig.gw.url}/metrics`)).text(), 'cs_gateway_snapshot_requests_total', {
      venue: 'okx',
    });
    expect(snapshotRequests).toBe(3);
  });

  it("equals the simulator's book once the markets stand still, and publishes every trade exactly once", async () => {
    await expectBooksEqualSimulator(rig, 50);
    await expectTradesExactlyOnce(rig);
  });
});
