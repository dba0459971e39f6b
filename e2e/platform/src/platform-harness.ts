import { builtMain, freePort, getJson, INFRA, type SpawnedService, spawnService, testNamespace, waitFor } from '@cryptoscalp/testing';

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { connect } from 'nats';
import { Client } from 'pg';

/**
 * The whole platform as `npm start` runs it (tools/scripts/dev-platform.mjs), from the production
 * builds, in one test namespace: the exchange simulator on random ports, the gateway wired to every
 * venue of it, cache-service, db-proxy and the monitor (with a webhook receiver for its alerts).
 */

export const VENUES = ['binance', 'coinbase', 'kraken', 'okx', 'bybit'] as const;
export type Venue = (typeof VENUES)[number];
export const SYMBOLS = ['BTC-USDT', 'ETH-USDT'] as const;
export const MARKETS = VENUES.flatMap((venue) => SYMBOLS.map((symbol) => ({ venue, symbol })));

/** Heartbeats and monitor timings fast enough that a killed instance shows within seconds. */
const HEARTBEAT_INTERVAL_MS = '500';
const MONITOR_FAST = {
  MONITOR_HEARTBEAT_MISSES: '4',
  MONITOR_POLL_INTERVAL_MS: '250',
  MONITOR_POLL_TIMEOUT_MS: '1000',
  MONITOR_EVAL_INTERVAL_MS: '250',
  MONITOR_FAIL_AFTER: '2',
  MONITOR_PASS_AFTER: '2',
  MONITOR_METRICS_INTERVAL_MS: '2000',
  MONITOR_HISTORY_FLUSH_MS: '2000',
};

export interface Simulator {
  svc: SpawnedService;
  control: string;
  venues: Record<Venue, { ws: string; rest: string; port: number }>;
}

export interface Platform {
  ns: ReturnType<typeof testNamespace>;
  schemas: { db: string; monitor: string };
  sim: Simulator;
  gateway: SpawnedService;
  cache: SpawnedService;
  db: SpawnedService;
  monitor: SpawnedService;
  hook: Receiver;
  /** Every process's captured output, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

/** A real HTTP server that records every POSTed JSON body (the monitor's webhook channel). */
export class Receiver {
  readonly received: { at: number; body: any }[] = [];
  url = '';
  private server: Server | undefined;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        try {
          this.received.push({ at: Date.now(), body: JSON.parse(data) });
        } catch {
          this.received.push({ at: Date.now(), body: data });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => (this.server as Server).listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  /** Every alert of every notification received since `since` (epoch ms), with the notification's receive time. */
  alerts(since = 0): { at: number; status: string; labels: Record<string, string> }[] {
    return this.received
      .filter((r) => r.at >= since)
      .flatMap((r) =>
        Array.isArray(r.body?.alerts) ? r.body.alerts.map((a: any) => ({ at: r.at, status: a.status, labels: a.labels })) : [],
      );
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** The built simulator (`dist/tools/exchange-simulator/main.js`); `builtMain` covers `dist/apps` only. */
function simulatorMain(): string {
  const gatewayMain = builtMain('market-data-gateway');
  const main = join(gatewayMain, '..', '..', '..', 'tools', 'exchange-simulator', 'main.js');
  return main;
}

async function untilReady(svc: SpawnedService, name: string, path: string, timeoutMs: number): Promise<void> {
  await Promise.race([
    waitFor(async () => (await fetch(`${svc.url}${path}`)).status === 200, timeoutMs, 200),
    svc.exited.then((code) => {
      throw new Error(`${name} exited with ${code}:\n${svc.output().slice(-4000)}`);
    }),
  ]).catch((err: Error) => {
    throw new Error(`${name} not ready at ${svc.url}${path}: ${err.message}\n${svc.output().slice(-4000)}`);
  });
}

/** `--port 0` (HTTP_PORT=0): control and venue ports are chosen by the OS and logged on start. */
async function startSimulator(env: Record<string, string>): Promise<Simulator> {
  const svc = spawnService(simulatorMain(), env, 0);
  const line = await Promise.race([
    waitFor(
      () =>
        svc
          .output()
          .split('\n')
          .find((l) => l.includes('control API http')),
      20_000,
      50,
    ),
    svc.exited.then((code) => {
      throw new Error(`exchange-simulator exited with ${code}:\n${svc.output()}`);
    }),
  ]);
  const started = JSON.parse(line) as { msg: string; venues: Simulator['venues'] };
  const control = /control API (http:\/\/\S+)/.exec(started.msg)?.[1];
  if (!control) throw new Error(`no control URL in the simulator's start line: ${line}`);
  return { svc, control, venues: started.venues };
}

export function alertRules(webhookUrl: string): unknown {
  // The built-in health and feed rules (apps/monitor/src/app/alerting/default-rules.ts) with a webhook receiver.
  return {
    rules: [
      {
        name: 'DependencyDown',
        kind: 'health',
        scope: 'dependency',
        state: 'fail',
        labels: { severity: 'critical' },
        annotations: { summary: '{{summary}}' },
      },
      {
        name: 'ServiceDown',
        kind: 'health',
        scope: 'service',
        state: 'fail',
        labels: { severity: 'critical' },
        annotations: { summary: '{{output}}' },
      },
      {
        name: 'InstanceDown',
        kind: 'health',
        scope: 'instance',
        state: 'fail',
        labels: { severity: 'critical' },
        annotations: { summary: '{{service}}/{{instance}}: {{output}}' },
      },
      { name: 'VenueDown', kind: 'health', scope: 'venue', state: 'fail', for: '10s', labels: { severity: 'critical' } },
      {
        name: 'FeedStale',
        kind: 'anomaly',
        detector: 'staleness',
        labels: { severity: 'warning' },
        annotations: { summary: '{{message}}' },
      },
    ],
    route: { receiver: 'hook', groupBy: ['alertname', 'service'], groupWait: '300ms', groupInterval: '500ms', repeatInterval: '1h' },
    receivers: [{ name: 'hook', channels: [{ type: 'webhook', url: `${webhookUrl}/hook` }] }],
  };
}

export async function startPlatform(options: { rate: number; seed: number }): Promise<Platform> {
  const ns = testNamespace('e2e');
  const schemas = { db: `${ns.schema}_db`, monitor: `${ns.schema}_mon` };
  const started: { name: string; svc: SpawnedService }[] = [];
  const hook = new Receiver();
  await hook.start();
  const rulesDir = mkdtempSync(join(tmpdir(), 'platform-e2e-'));
  const rulesFile = join(rulesDir, 'rules.json');
  writeFileSync(rulesFile, JSON.stringify(alertRules(hook.url), null, 2));

  const common = {
    LOG_LEVEL: 'warn',
    NATS_URL: INFRA.natsUrl,
    NATS_SUBJECT_PREFIX: ns.subjectPrefix,
    HEARTBEAT_INTERVAL_MS,
    SHUTDOWN_DRAIN_MS: '200',
  };
  const spawnApp = async (app: string, env: Record<string, string>) => {
    const svc = spawnService(builtMain(app), { ...common, INSTANCE_ID: `${app}-e2e`, ...env }, await freePort());
    started.push({ name: app, svc });
    return svc;
  };

  const stop = async () => {
    await Promise.all(started.map(({ svc }) => svc.stop('SIGTERM')));
    await hook.stop();
    rmSync(rulesDir, { recursive: true, force: true });
    await cleanNamespace(ns, Object.values(schemas));
  };

  try {
    const sim = await startSimulator({ SIM_SYMBOLS: SYMBOLS.join(','), SIM_RATE: String(options.rate), SIM_SEED: String(options.seed) });
    started.push({ name: 'exchange-simulator', svc: sim.svc });

    const [cache, db, monitor] = await Promise.all([
      spawnApp('cache-service', { REDIS_URL: INFRA.redisUrl, REDIS_KEY_PREFIX: ns.keyPrefix }),
      spawnApp('db-proxy', { POSTGRES_URL: INFRA.postgresUrl, POSTGRES_SCHEMA: schemas.db }),
      spawnApp('monitor', {
        POSTGRES_URL: INFRA.postgresUrl,
        POSTGRES_SCHEMA: schemas.monitor,
        MONITOR_RULES_FILE: rulesFile,
        ...MONITOR_FAST,
      }),
    ]);
    // Downstream first: the cache must hear the gateway's first book snapshots, db-proxy's consumer exists.
    await Promise.all([
      untilReady(cache, 'cache-service', '/health/readiness', 60_000),
      untilReady(db, 'db-proxy', '/health/readiness', 60_000),
      untilReady(monitor, 'monitor', '/health/readiness', 60_000),
    ]);

    const gateway = await spawnApp('market-data-gateway', {
      GATEWAY_FEEDS: VENUES.map((v) => `${v}:${SYMBOLS.join(',')}`).join(';'),
      GATEWAY_CHANNELS: 'trades,l1,l2',
      ...Object.fromEntries(
        VENUES.flatMap((v) => [
          [`${v.toUpperCase()}_WS_URL`, sim.venues[v].ws],
          [`${v.toUpperCase()}_REST_URL`, sim.venues[v].rest],
        ]),
      ),
    });
    await untilReady(gateway, 'market-data-gateway', '/health/readiness', 60_000);

    return {
      ns,
      schemas,
      sim,
      gateway,
      cache,
      db,
      monitor,
      hook,
      logs: () => started.map(({ name, svc }) => `--- ${name}\n${svc.output().slice(-3000)}`).join('\n'),
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/** Drops the namespace's Postgres schemas, Redis keys, JetStream streams and KV buckets. */
export async function cleanNamespace(ns: { id: string; keyPrefix: string }, schemas: string[]): Promise<void> {
  const pg = new Client({ connectionString: INFRA.postgresUrl });
  await pg.connect();
  try {
    for (const s of schemas) await pg.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await pg.end();
  }

  const redis = new Redis(INFRA.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${ns.keyPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }

  const nc = await connect({ servers: INFRA.natsUrl });
  try {
    const jsm = await nc.jetstreamManager();
    for await (const si of jsm.streams.list()) {
      const name = si.config.name;
      if (name.startsWith(`${ns.id}_`) || name.startsWith(`KV_${ns.id}_`)) await jsm.streams.delete(name).catch(() => undefined);
    }
  } finally {
    await nc.close();
  }
}

export async function simJson(sim: Simulator, path: string): Promise<any> {
  const r = await getJson(`${sim.control}${path}`);
  if (r.status !== 200) throw new Error(`simulator ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function setRate(sim: Simulator, rate: number): Promise<void> {
  const res = await fetch(`${sim.control}/api/rates`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ rate }),
  });
  if (!res.ok) throw new Error(`POST /api/rates: ${res.status} ${await res.text()}`);
}
