// Helpers for cache-service's integration specs (never imported by main.ts, so never bundled).
/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON the specs check field by field */
import { type StartedService, startService } from '@cryptoscalp/platform';

import { connect, type NatsConnection } from 'nats';

import { AppModule } from '../app/app.module';
import { CacheConfigSchema } from '../app/cache-service.config';
import { IngestService } from '../app/ingest/ingest.service';

export interface CacheUnderTest {
  svc: StartedService;
  url: string;
  ingest: IngestService;
  get(path: string): Promise<{ status: number; body: any; headers: Headers }>;
  send(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

/** Starts cache-service in process on a free port with the given environment (validated like main.ts). */
export async function startCache(env: Record<string, string>): Promise<CacheUnderTest> {
  const config = CacheConfigSchema.parse({
    SHUTDOWN_DRAIN_MS: '0',
    LOG_LEVEL: process.env['CACHE_SPEC_LOGS'] === '1' ? 'debug' : 'silent',
    ...env,
  });
  const svc = await startService(AppModule.forRoot(config), { logs: process.env['CACHE_SPEC_LOGS'] === '1', port: 0 });
  const send = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${svc.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as any, headers: res.headers };
  };
  return {
    svc,
    url: svc.url,
    ingest: svc.app.get(IngestService),
    get: (path) => send('GET', path),
    send,
    stop: () => svc.shutdown('test'),
  };
}

export async function natsClient(url: string): Promise<NatsConnection> {
  return connect({ servers: url, name: 'cache-spec' });
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function publishJson(nc: NatsConnection, subject: string, value: unknown): void {
  nc.publish(subject, enc.encode(typeof value === 'string' ? value : JSON.stringify(value)));
}

export async function requestJson(nc: NatsConnection, subject: string, value: unknown, timeout = 5000): Promise<any> {
  const msg = await nc.request(subject, enc.encode(typeof value === 'string' ? value : JSON.stringify(value)), { timeout });
  return JSON.parse(dec.decode(msg.data));
}
