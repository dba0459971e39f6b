import { ResilienceRegistry } from '@cryptoscalp/circuit-breaker';
import { type Simulator, startSimulator } from '@cryptoscalp/exchange-simulator';
import type { Trade } from '@cryptoscalp/messaging';
import { type StartedService, startService } from '@cryptoscalp/platform';
import { freePort, INFRA, testNamespace, waitFor } from '@cryptoscalp/testing';

import { connect, createServer, type Server, type Socket } from 'node:net';
import { connect as natsConnect, type NatsConnection } from 'nats';

import { AppModule } from '../app.module';
import { GatewayConfigSchema } from '../market-data-gateway.config';
import type { MarketSink } from '../publishing/market-sink';
import { BinanceAdapter } from '../venues/binance/binance.adapter';
import { VenueFeed } from './venue-feed';
import { NOOP_METRICS } from './venue-metrics';

jest.setTimeout(120_000);

const SYMBOLS = ['BTC-USDT', 'ETH-USDT'] as const;

/** A TCP proxy to the simulator's WebSocket port that the test can kill (refuses, and cuts open connections) and revive on the same port. */
class KillableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}
  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }
  async listen(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', () => r()));
    this.server = server;
  }
  async kill(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}

async function json(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

describe('market-data-gateway: failover to an alternative WebSocket endpoint', () => {
  let sim: Simulator;
  let target: { host: string; port: number };

  beforeAll(async () => {
    sim = await startSimulator({ controlPort: 0, ports: { binance: 0 }, venues: ['binance'], symbols: [...SYMBOLS], rate: 30, seed: 5 });
    const u = new URL(sim.endpoints.binance.ws);
    target = { host: u.hostname, port: Number(u.port) };
  });
  afterAll(() => sim?.stop());

  describe('the gateway (BINANCE_WS_FALLBACK_URLS)', () => {
    const ns = testNamespace('gwfo');
    let primary: KillableProxy;
    let fallback: KillableProxy;
    let gw: StartedService;
    let nc: NatsConnection;
    const trades: Trade[] = [];

    beforeAll(async () => {
      primary = new KillableProxy(await freePort(), target);
      fallback = new KillableProxy(await freePort(), target);
      await primary.listen();
      await fallback.listen();
      nc = await natsConnect({ servers: INFRA.natsUrl });
      nc.subscribe(`${ns.subjectPrefix}md.trade.>`, { callback: (_e, m) => trades.push(JSON.parse(new TextDecoder().decode(m.data))) });
      const config = GatewayConfigSchema.parse({
        NATS_URL: INFRA.natsUrl,
        NATS_SUBJECT_PREFIX: ns.subjectPrefix,
        INSTANCE_ID: `${ns.id}-gw`,
        SHUTDOWN_DRAIN_MS: '0',
        LOG_LEVEL: 'error',
        GATEWAY_FEEDS: `binance:${SYMBOLS.join(',')}`,
        BINANCE_WS_URL: primary.url,
        BINANCE_WS_FALLBACK_URLS: fallback.url,
        BINANCE_REST_URL: sim.endpoints.binance.rest,
        BINANCE_BOOK_DEPTH: '100',
      });
      gw = await startService(AppModule.forRoot(config), { logs: false, port: 0 });
    });
    afterAll(async () => {
      await gw?.app.close();
      await nc?.drain();
      await primary?.kill();
      await fallback?.kill();
    });

    const venue = async () => (await json(`${gw.url}/v1/feeds`)).body.venues[0];
    const allLive = (v: any) => v?.symbols.length === SYMBOLS.length && v.symbols.every((s: any) => s.state === 'live');

    it('runs on the primary; when the primary dies and then refuses, moves to the fallback (shown in /v1/feeds), books live again, trades flow once', async () => {
      await waitFor(async () => allLive(await venue()), 30_000);
      const before = await venue();
      expect(before.wsFallback).toEqual([fallback.url]);
      expect(before.connections[0]).toMatchObject({ connected: true, endpoint: primary.url, failovers: 0 });

      await primary.kill();
      const after = await waitFor(async () => {
        const v = await venue();
        return v.connections[0].connected && v.connections[0].endpoint === fallback.url && allLive(v) ? v : undefined;
      }, 30_000);
      expect(after.connections[0].failovers).toBeGreaterThanOrEqual(1);
      expect(after.connections[0].reconnects).toBeGreaterThanOrEqual(1);
      const health = await json(`${gw.url}/health/components`);
      expect(JSON.stringify(health.body)).toContain('feed:binance');

      // Data flows again through the fallback, and no trade went out twice across the switch.
      const n = trades.length;
      await waitFor(() => trades.length > n + 10, 20_000);
      for (const symbol of SYMBOLS) {
        const ids = trades.filter((t) => t.symbol === symbol).map((t) => t.id);
        expect(new Set(ids).size).toBe(ids.length);
      }
    });
  });

  describe('per-endpoint circuit breakers (VenueFeed with a fast backoff)', () => {
    it('a dead endpoint opens its own breaker (ws:binance), the alternative has its own; the shard lands on the alternative once it answers', async () => {
      const dead = `ws://127.0.0.1:${await freePort()}`; // nothing listens: refused
      const alternative = new KillableProxy(await freePort(), target); // down at first
      const registry = new ResilienceRegistry();
      // Short half-open so the alternative is tried again soon after it comes back (the service uses 30 s).
      const breaker = { window: { kind: 'consecutive' as const, failures: 5 }, halfOpenAfterMs: 300 };
      registry.create('ws:binance', { breaker });
      registry.create(`ws:binance@127.0.0.1:${alternative.port}`, { breaker });
      const sink: MarketSink = { trade: () => undefined, l1: () => undefined, l2: () => undefined, status: () => undefined };
      const adapter = new BinanceAdapter();
      const feed = new VenueFeed(
        'binance',
        adapter,
        { wsUrl: dead, restUrl: sim.endpoints.binance.rest, bookDepth: 100, wsFallbackUrls: [alternative.url] },
        [...SYMBOLS],
        ['trades', 'l1', 'l2'],
        sink,
        NOOP_METRICS,
        registry,
        { staleAfterMs: 10_000, symbolStaleMs: 30_000, restWeightPerMinute: 6000, backoff: { initialDelayMs: 20, maxDelayMs: 60 } },
        { log: () => undefined, warn: () => undefined },
      );
      feed.start();
      try {
        await waitFor(() => registry.get('ws:binance')?.state === 'open' && registry.get(`ws:binance@127.0.0.1:${alternative.port}`)?.state === 'open', 20_000);
        expect(feed.health().status).toBe('fail');
        await alternative.listen();
        await waitFor(() => feed.shards[0]?.connected && feed.shards[0].endpoint === alternative.url, 20_000);
        await waitFor(() => [...feed.feeds.values()].every((f) => f.state === 'live'), 30_000);
        expect(registry.get(`ws:binance@127.0.0.1:${alternative.port}`)?.state).toBe('closed');
        // The dead endpoint's breaker was never closed by the alternative's success.
        expect(registry.get('ws:binance')?.state).not.toBe('closed');
        const described = feed.describe() as any;
        expect(described.connections[0]).toMatchObject({ connected: true, endpoint: alternative.url });
        expect(described.connections[0].failovers).toBeGreaterThanOrEqual(5);
      } finally {
        feed.stop();
        await alternative.kill();
      }
    });
  });
});
