import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';

/**
 * A unique namespace for one test run on the shared NATS/Redis/Postgres servers:
 * subject prefix `t<id>.`, Redis key prefix `t<id>:`, Postgres schema `t_<id>`.
 */
export function testNamespace(label = 't'): { id: string; subjectPrefix: string; keyPrefix: string; schema: string } {
  const id = `${label.replace(/[^a-z0-9]/gi, '').toLowerCase()}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  return { id, subjectPrefix: `${id}.`, keyPrefix: `${id}:`, schema: `t_${id}` };
}

/** A TCP port that was free a moment ago (listen on 0, read, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A port on which nothing listens (used to point a service at an unreachable dependency). */
export const CLOSED_PORT = 1;

export const INFRA = {
  natsUrl: process.env['TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222',
  redisUrl: process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
  postgresUrl: process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
};

/** Polls until `check` returns a truthy value or the deadline passes (then throws with the last error). */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`waitFor timed out after ${timeoutMs} ms${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
