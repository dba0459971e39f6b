import { builtMain, freePort, getJson, INFRA, type SpawnedService, spawnService, waitFor } from '@cryptoscalp/testing';

import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Test helpers for the monitor: the built monitor, stand-in instances, and real local HTTP receivers. */

export const API_TOKEN = 'test-token-0123456789abcdef';

/** Fast timings so that failures show within a second or two on a shared 2-core machine. */
export const FAST = {
  HEARTBEAT_INTERVAL_MS: '250',
  MONITOR_HEARTBEAT_MISSES: '4',
  MONITOR_POLL_INTERVAL_MS: '250',
  MONITOR_POLL_TIMEOUT_MS: '1000',
  MONITOR_EVAL_INTERVAL_MS: '250',
  MONITOR_FAIL_AFTER: '2',
  MONITOR_PASS_AFTER: '2',
  MONITOR_METRICS_INTERVAL_MS: '1000',
  MONITOR_HISTORY_FLUSH_MS: '1000',
};

export function writeRules(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'monitor-rules-'));
  const file = join(dir, 'rules.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export async function startMonitor(env: Record<string, string>): Promise<SpawnedService> {
  const svc = spawnService(
    builtMain('monitor'),
    { LOG_LEVEL: 'warn', NATS_URL: INFRA.natsUrl, POSTGRES_URL: INFRA.postgresUrl, MONITOR_API_TOKEN: API_TOKEN, ...FAST, ...env },
    await freePort(),
  );
  await Promise.race([
    waitFor(async () => (await fetch(`${svc.url}/health/liveness`)).status === 200, 20_000, 100),
    svc.exited.then((code) => {
      throw new Error(`monitor exited with ${code}:\n${svc.output()}`);
    }),
  ]);
  return svc;
}

export interface FakeOptions {
  natsUrl?: string;
  prefix: string;
  service: string;
  instance: string;
  /** `venue:SYMBOL` entries: the instance serves /v1/feeds for them (a gateway). */
  symbols?: string[];
  port?: number;
}

/** A stand-in instance in its own process (see fake-instance.mjs). */
export async function startFake(o: FakeOptions): Promise<SpawnedService> {
  const port = o.port ?? (await freePort());
  const svc = spawnService(
    join(__dirname, 'fake-instance.mjs'),
    { NATS_URL: o.natsUrl ?? INFRA.natsUrl, PREFIX: o.prefix, SERVICE: o.service, INSTANCE: o.instance, HEARTBEAT_MS: '250', SYMBOLS: (o.symbols ?? []).join(',') },
    port,
  );
  await Promise.race([
    waitFor(async () => (await fetch(`${svc.url}/health/readiness`)).status > 0, 15_000, 50),
    svc.exited.then((code) => {
      throw new Error(`fake instance exited with ${code}:\n${svc.output()}`);
    }),
  ]);
  return svc;
}

export async function control(fake: SpawnedService, command: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${fake.url}/control`, { method: 'POST', body: JSON.stringify(command) });
  if (!res.ok) throw new Error(`control failed: ${res.status}`);
}

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
  at: number;
}

/** A real HTTP server that records every POST (webhook, Slack, PagerDuty, Alertmanager stand-in). */
export class Receiver {
  readonly received: Received[] = [];
  /** Status codes to answer with, in order, before answering 200 (failure injection). */
  failWith: number[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        const code = this.failWith.shift() ?? 200;
        if (code === 200) {
          let body: unknown = data;
          try {
            body = JSON.parse(data);
          } catch {
            /* keep text */
          }
          this.received.push({ path: req.url ?? '/', headers: req.headers, body, at: Date.now() });
        }
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(code === 200 ? '{"ok":true}' : '{"error":"injected"}');
      });
    });
    await new Promise<void>((r) => (this.server as Server).listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Every alert of every notification received, flattened, with the notification status. */
  alerts(): { status: string; labels: Record<string, string> }[] {
    return this.received.flatMap((r) => (Array.isArray(r.body?.alerts) ? r.body.alerts : []));
  }
}

/** Waits until the monitor has evaluated `n` more times (a deadline-bound clock for "nothing more happened"). */
export async function evaluationsPass(monitorUrl: string, n: number, timeoutMs = 15_000): Promise<void> {
  const metric = async () => {
    const body = (await (await fetch(`${monitorUrl}/api/series`)).json()) as { points: unknown[] };
    return body.points.length;
  };
  const start = await metric();
  await waitFor(async () => (await metric()) >= start + n, timeoutMs, 100);
}

export async function instanceStatus(monitorUrl: string, instance: string): Promise<string | undefined> {
  const r = await getJson(`${monitorUrl}/api/instances`);
  return r.body.instances?.find((i: { instance: string }) => i.instance === instance)?.status;
}

/** Rules for the tests: the defaults' health rules, a webhook receiver, fast grouping. */
export function testRules(webhookUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    rules: [
      { name: 'DependencyDown', kind: 'health', scope: 'dependency', labels: { severity: 'critical' }, annotations: { summary: '{{summary}}' } },
      { name: 'ServiceDown', kind: 'health', scope: 'service', labels: { severity: 'critical' }, annotations: { summary: '{{output}}' } },
      { name: 'InstanceDown', kind: 'health', scope: 'instance', labels: { severity: 'critical' }, annotations: { summary: '{{service}}/{{instance}}: {{output}}' } },
      { name: 'VenueDown', kind: 'health', scope: 'venue', labels: { severity: 'critical' } },
      { name: 'FeedStale', kind: 'anomaly', detector: 'staleness', labels: { severity: 'warning' }, annotations: { summary: '{{message}}' } },
    ],
    route: { receiver: 'hook', groupBy: ['alertname', 'service'], groupWait: '300ms', groupInterval: '500ms', repeatInterval: '1h' },
    receivers: [{ name: 'hook', channels: [{ type: 'webhook', url: `${webhookUrl}/hook` }] }],
    ...extra,
  };
}
