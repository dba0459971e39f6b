import type { HealthStatus } from '@cryptoscalp/messaging';

import { z } from 'zod';

export interface ComponentObservation {
  /** `nats`, `redis`, `postgres`, `feed:binance`… (the componentId, or the key before the colon). */
  name: string;
  status: HealthStatus;
  critical: boolean;
  output?: string;
  observedValue?: number | string | boolean;
  observedUnit?: string;
}

/** One poll of one instance. */
export interface Observation {
  time: number;
  /** The health endpoints answered (any HTTP status) with a body we understand. */
  reachable: boolean;
  /** Overall status from `/health/readiness` (HTTP 503 is `fail` whatever the body says). */
  status: HealthStatus;
  httpStatus?: number;
  responseMs: number;
  /** Why it is not `pass` (unreachable, timed out, the body's output). */
  output?: string;
  /** Readiness says the instance is shutting down. */
  draining: boolean;
  components: ComponentObservation[];
}

const CheckSchema = z.object({
  componentId: z.string().optional(),
  status: z.enum(['pass', 'warn', 'fail']),
  critical: z.boolean().optional(),
  output: z.string().optional(),
  observedValue: z.union([z.number(), z.string(), z.boolean()]).optional(),
  observedUnit: z.string().optional(),
});

/** The `application/health+json` shape every service serves (IETF draft). */
export const HealthBodySchema = z.object({
  status: z.enum(['pass', 'warn', 'fail']),
  output: z.string().optional(),
  checks: z.record(z.string(), z.array(CheckSchema)).default({}),
});
export type PolledHealthBody = z.infer<typeof HealthBodySchema>;

const DRAINING = /shutting down|draining/i;

export function componentsOf(body: PolledHealthBody): ComponentObservation[] {
  const out: ComponentObservation[] = [];
  for (const [key, entries] of Object.entries(body.checks)) {
    for (const c of entries) {
      out.push({
        name: c.componentId ?? key.split(':')[0] ?? key,
        status: c.status,
        critical: c.critical ?? true,
        ...(c.output !== undefined ? { output: c.output } : {}),
        ...(c.observedValue !== undefined ? { observedValue: c.observedValue } : {}),
        ...(c.observedUnit !== undefined ? { observedUnit: c.observedUnit } : {}),
      });
    }
  }
  return out;
}

async function fetchHealth(url: string, timeoutMs: number): Promise<{ httpStatus: number; body: PolledHealthBody }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/health+json, application/json' } });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${url} answered ${res.status} with a body that is not JSON`);
  }
  const parsed = HealthBodySchema.safeParse(json);
  if (!parsed.success) throw new Error(`${url} answered ${res.status} with a body that is not a health body: ${parsed.error.issues[0]?.message ?? ''}`);
  return { httpStatus: res.status, body: parsed.data };
}

function reason(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  if (e?.cause?.code) return `unreachable (${e.cause.code})`;
  return String(e?.message ?? err).slice(0, 200);
}

/**
 * Polls `<healthUrl>/readiness` (the gate: 503 is `fail`) and `<healthUrl>/components` (one entry
 * per component) at once, each bounded by the timeout. Never throws: an unreachable or confused
 * target is an observation too.
 */
export async function probeHealth(healthUrl: string, timeoutMs: number, now = Date.now): Promise<Observation> {
  const started = performance.now();
  const time = now();
  try {
    const [readiness, components] = await Promise.all([
      fetchHealth(`${healthUrl}/readiness`, timeoutMs),
      fetchHealth(`${healthUrl}/components`, timeoutMs).catch(() => undefined),
    ]);
    const responseMs = Math.round((performance.now() - started) * 100) / 100;
    const status: HealthStatus = readiness.httpStatus >= 500 ? 'fail' : readiness.body.status;
    const draining = DRAINING.test(readiness.body.output ?? '');
    const output = status === 'pass' ? undefined : (readiness.body.output ?? `readiness answered ${readiness.httpStatus}`);
    return {
      time,
      reachable: true,
      status,
      httpStatus: readiness.httpStatus,
      responseMs,
      ...(output ? { output } : {}),
      draining,
      components: componentsOf(components?.body ?? readiness.body),
    };
  } catch (err) {
    return { time, reachable: false, status: 'fail', responseMs: Math.round(performance.now() - started), output: reason(err, timeoutMs), draining: false, components: [] };
  }
}
