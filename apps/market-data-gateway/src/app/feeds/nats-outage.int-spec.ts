import { type Simulator, startSimulator } from '@cryptoscalp/exchange-simulator';
import type { L2, Trade } from '@cryptoscalp/messaging';
import { type StartedService, startService } from '@cryptoscalp/platform';
import { freePort, killProcess, NATS_SERVER_BIN, startPrivateServer, testNamespace, waitFor } from '@cryptoscalp/testing';

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';

import { AppModule } from '../app.module';
import { GatewayConfigSchema } from '../market-data-gateway.config';

jest.setTimeout(180_000);

const SYMBOLS = ['BTC-USDT', 'ETH-USDT'] as const;

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json() };
}

/** Sum of a counter's series matching every label given. */
function metric(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/**
 * A NATS outage while the simulator keeps feeding: the gateway runs in-process against a private
 * nats-server (JetStream on a store directory of the test's own, so the stream survives the
 * restart). The independent oracles are the simulator's ground truth (trades it sent) and the
 * `MD_TRADES` stream read back message by message.
 */
describe('market-data-gateway: NATS outage while feeding (private nats-server)', () => {
  const ns = testNamespace('gwout');
  const storeDir = mkdtempSync(join(tmpdir(), 'gw-nats-outage-'));
  let port: number;
  let natsUrl: string;
  let nats: ChildProcess | undefined;
  let sim: Simulator;
  let gw: StartedService;
  let sub: NatsConnection | undefined;
  const l2AfterRecovery = new Map<string, L2[]>();
  let recovered = false;

  const startNats = async () => {
    nats = startPrivateServer(NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir]);
    await waitFor(async () => {
      const nc = await connect({ servers: natsUrl, reconnect: false }).catch(() => undefined);
      if (!nc) return false;
      await nc.close();
      return true;
    }, 15_000);
  };
  const metrics = async () => (await fetch(`${gw.url}/metrics`)).text();
  const feeds = async () => (await json(`${gw.url}/v1/feeds`)).body;

  beforeAll(async () => {
    port = await freePort();
    natsUrl = `nats://127.0.0.1:${port}`;
    await startNats();
    sim = await startSimulator({ controlPort: 0, ports: { binance: 0 }, venues: ['binance'], symbols: [...SYMBOLS], rate: 40, seed: 23 });
    const config = GatewayConfigSchema.parse({
      NATS_URL: natsUrl,
      NATS_SUBJECT_PREFIX: ns.subjectPrefix,
      INSTANCE_ID: `${ns.id}-gw`,
      SHUTDOWN_DRAIN_MS: '0',
      LOG_LEVEL: 'error',
      GATEWAY_FEEDS: `binance:${SYMBOLS.join(',')}`,
      BINANCE_WS_URL: sim.endpoints.binance.ws,
      BINANCE_REST_URL: sim.endpoints.binance.rest,
      BINANCE_BOOK_DEPTH: '100',
      // Small enough to overflow within seconds (counted drops of L1/L2/status), while the
      // trade buffer holds every trade of the outage.
      GATEWAY_NATS_BUFFER: '100',
      GATEWAY_TRADE_BUFFER: '100000',
    });
    gw = await startService(AppModule.forRoot(config), { logs: false, port: 0 });
  });

  afterAll(async () => {
    await gw?.app.close();
    await sub?.close().catch(() => undefined);
    await sim?.stop();
    if (nats) await killProcess(nats);
    rmSync(storeDir, { recursive: true, force: true });
  });

  it('kill NATS: readiness 503 naming nats, bounded buffers with counted drops, no crash; restart: recovers, republishes books as snapshots, every trade once in JetStream', async () => {
    await waitFor(async () => {
      const f = await feeds();
      return f.venues[0]?.symbols.every((s: any) => s.state === 'live') && (await json(`${gw.url}/health/readiness`)).status === 200;
    }, 40_000);
    const stream = `${ns.id}_MD_TRADES`;
    await waitFor(async () => {
      const nc = await connect({ servers: natsUrl });
      try {
        return (await (await nc.jetstreamManager()).streams.info(stream)).state.messages > 10;
      } finally {
        await nc.close();
      }
    }, 20_000);

    // ---- outage ----------------------------------------------------------------------------
    await killProcess(nats as ChildProcess);
    const down = await waitFor(async () => {
      const r = await json(`${gw.url}/health/readiness`);
      return r.status === 503 ? r : undefined;
    }, 15_000);
    const failing = Object.entries(down.body.checks ?? {}).filter(([, v]) => ([] as any[]).concat(v).some((c) => c.status === "fail"));
    expect(failing.map(([k]) => k.split(':')[0])).toContain('nats');
    // The feed keeps running: trades wait in their queue, L1/L2/status overflow theirs and are counted.
    await waitFor(async () => metric(await metrics(), 'cs_gateway_messages_dropped_total', { venue: 'binance' }) > 0, 20_000);
    const during = await feeds();
    expect(during.publishing.bufferedCore).toBeLessThanOrEqual(100);
    expect(during.publishing.coreDropped).toBeGreaterThan(0);
    await waitFor(async () => (await feeds()).publishing.bufferedTrades > 20, 20_000);
    expect((await json(`${gw.url}/health/liveness`)).status).toBe(200);
    const held = (await feeds()).publishing.bufferedTrades;
    expect(held).toBeGreaterThan(20);
    expect((await metrics()).match(/cs_gateway_messages_dropped_total\{[^}]*kind="trade"[^}]*\} [1-9]/)).toBeNull();

    // ---- recovery ----------------------------------------------------------------------------
    await startNats();
    sub = await connect({ servers: natsUrl, maxReconnectAttempts: -1 });
    sub.subscribe(`${ns.subjectPrefix}md.l2.>`, {
      callback: (_e, m) => {
        const body = JSON.parse(new TextDecoder().decode(m.data)) as L2;
        if (!l2AfterRecovery.has(body.symbol)) l2AfterRecovery.set(body.symbol, []);
        l2AfterRecovery.get(body.symbol)?.push(body);
      },
    });
    recovered = true;
    await waitFor(async () => (await json(`${gw.url}/health/readiness`)).status === 200, 30_000);
    // Books lost L2 while NATS was down: each is republished as a snapshot, and deltas chain on it.
    for (const symbol of SYMBOLS) {
      await waitFor(() => {
        const msgs = l2AfterRecovery.get(symbol) ?? [];
        const snap = msgs.findIndex((m) => m.snapshot);
        return snap >= 0 && msgs.length > snap + 3;
      }, 20_000);
      const msgs = l2AfterRecovery.get(symbol) ?? [];
      const snap = msgs.findIndex((m) => m.snapshot);
      for (let i = snap + 1; i < msgs.length; i++) {
        if (msgs[i]?.snapshot) continue;
        expect({ symbol, i, prevSeq: msgs[i]?.prevSeq }).toEqual({ symbol, i, prevSeq: msgs[i - 1]?.seq });
      }
    }
    const logs = (await feeds()).publishing;
    expect(logs.tradeRetries + logs.jetStream.published).toBeGreaterThan(0);

    // ---- every trade the simulator sent is in the stream exactly once ------------------------
    await json(`${sim.controlUrl}/api/rates`, { method: 'POST', body: JSON.stringify({ rate: 0 }) });
    await waitFor(async () => (await feeds()).publishing.bufferedTrades === 0, 30_000);
    const truth = sim.truth.report().venues['binance'] ?? {};
    const nc = sub as NatsConnection;
    const js = nc.jetstream();
    const consumer = await js.consumers.get(stream);
    const info = await (await nc.jetstreamManager()).streams.info(stream);
    const ids = new Map<string, number[]>();
    const messages = await consumer.fetch({ max_messages: info.state.messages, expires: 10_000 });
    for await (const m of messages) {
      const t = m.json<Trade>();
      if (!ids.has(t.symbol)) ids.set(t.symbol, []);
      ids.get(t.symbol)?.push(Number(t.id));
      if (m.info.pending === 0) break;
    }
    for (const symbol of SYMBOLS) {
      const sent = truth[symbol]?.tradesSent ?? 0;
      const got = ids.get(symbol) ?? [];
      expect(sent).toBeGreaterThan(held / 4);
      expect({ symbol, stored: got.length, distinct: new Set(got).size }).toEqual({ symbol, stored: sent, distinct: sent });
      expect(Math.max(...got) - Math.min(...got) + 1).toBe(sent); // one contiguous id range: nothing lost around the outage
    }
    expect(recovered).toBe(true);
  });
});
