import type { FeedStatus, L2, Trade } from '@cryptoscalp/messaging';
import { type StartedService, startService } from '@cryptoscalp/platform';
import { INFRA, waitFor } from '@cryptoscalp/testing';

import type { NatsConnection } from 'nats';

import { AppModule } from '../app/app.module';
import { GatewayConfigSchema } from '../app/market-data-gateway.config';

/** Test helpers shared by the gateway's simulator specs (imported from spec files only). */

export async function json(url: string, init?: RequestInit): Promise<any> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json() };
}

/** The gateway's symbol states (`GET /v1/feeds`, first venue): symbol → state. */
async function feedStates(gatewayUrl: string): Promise<Record<string, string>> {
  const { body } = await json(`${gatewayUrl}/v1/feeds`);
  return Object.fromEntries((body.venues[0]?.symbols ?? []).map((s: any) => [s.symbol, s.state]));
}

/** Waits (with a deadline) until every one of `symbols` is live on the gateway. */
export async function waitForLive(gatewayUrl: string, symbols: readonly string[], timeoutMs = 30_000): Promise<void> {
  await waitFor(async () => {
    const s = await feedStates(gatewayUrl);
    return symbols.every((symbol) => s[symbol] === 'live');
  }, timeoutMs);
}

export interface RecordedMarketData {
  trades: Map<string, Trade[]>;
  l2: Map<string, L2[]>;
  statuses: Map<string, FeedStatus[]>;
}

/** Records every `md.trade|l2|status` message of a namespace per symbol into the given maps. */
export function recordMarketData(nc: NatsConnection, subjectPrefix: string, into: RecordedMarketData): void {
  const sub = nc.subscribe(`${subjectPrefix}md.>`);
  void (async () => {
    for await (const m of sub) {
      const body = JSON.parse(new TextDecoder().decode(m.data));
      const kind = m.subject.slice(subjectPrefix.length).split('.')[1];
      const map: Map<string, unknown[]> | undefined =
        kind === 'trade' ? into.trades : kind === 'l2' ? into.l2 : kind === 'status' ? into.statuses : undefined;
      if (!map) continue;
      if (!map.has(body.symbol)) map.set(body.symbol, []);
      map.get(body.symbol)?.push(body);
    }
  })();
}

/** Starts the gateway in-process on the test's NATS namespace with the given feed settings. */
export function startGateway(ns: { id: string; subjectPrefix: string }, env: Record<string, string>): Promise<StartedService> {
  const config = GatewayConfigSchema.parse({
    NATS_URL: INFRA.natsUrl,
    NATS_SUBJECT_PREFIX: ns.subjectPrefix,
    INSTANCE_ID: `${ns.id}-gw`,
    SHUTDOWN_DRAIN_MS: '0',
    LOG_LEVEL: 'warn',
    ...env,
  });
  return startService(AppModule.forRoot(config), { logs: false, port: 0 });
}
