import { builtMain, freePort, getJson, type SpawnedService, spawnService, testNamespace, waitFor } from '@cryptoscalp/testing';
import { INFRA } from '@cryptoscalp/testing';

import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { Client } from 'pg';

import { PrivatePostgres } from '../../testing/private-postgres';
import { ensureTradesStream, feedTrade, TradeFeed, tradeKey } from '../../testing/trade-feed';

jest.setTimeout(240_000);

/** Publishes 100 trades every 50 ms until stopped; `publishedAfter(t)` names those sent after t. */
function startFeed(feed: TradeFeed, baseTs: number) {
  let i = 0;
  let stopped = false;
  const sentAt = new Map<string, number>();
  let error: Error | undefined;
  const done = (async () => {
    while (!stopped) {
      const batch = Array.from({ length: 100 }, () => feedTrade(i++, baseTs));
      try {
        await feed.publish(batch, { redundantCopy: (t) => Number(t.id) % 13 === 0 });
      } catch (err) {
        error = err as Error;
        return;
      }
      const now = Date.now();
      for (const t of batch) sentAt.set(t.id, now);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    /** Stops publishing; throws if a publish failed (the oracle would be incomplete). */
    stop: async () => {
      stopped = true;
      await done;
      if (error) throw error;
    },
    firstSentAfter: (t: number) => [...sentAt.entries()].find(([, at]) => at > t)?.[0],
  };
}

describe('db-proxy on private Postgres clusters it can break (production build)', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const clusters: PrivatePostgres[] = [];
  const services: SpawnedService[] = [];
  const streams: string[] = [];
  const feeds: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: INFRA.natsUrl });
    jsm = await nc.jetstreamManager();
  });

  afterEach(async () => {
    for (const f of feeds.splice(0)) await f.stop().catch(() => undefined);
  });

  afterAll(async () => {
    for (const s of services) await s.stop('SIGKILL');
    for (const c of clusters) c.destroy();
    for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
    await nc.close();
  });

  async function service(ns: ReturnType<typeof testNamespace>, env: Record<string, string>): Promise<SpawnedService> {
    const s = spawnService(
      builtMain('db-proxy'),
      {
        INSTANCE_ID: `${ns.id}-1`,
        LOG_LEVEL: 'warn',
        NATS_URL: INFRA.natsUrl,
        NATS_SUBJECT_PREFIX: ns.subjectPrefix,
        POSTGRES_SCHEMA: ns.schema,
        POSTGRES_HEALTH_INTERVAL_MS: '500',
        POSTGRES_CONNECT_TIMEOUT_MS: '1000',
        INGEST_BATCH_MAX: '1000',
        ...env,
      },
      await freePort(),
    );
    services.push(s);
    return s;
  }

  const query = async (url: string, sql: string) => {
    const c = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    await c.connect();
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  };
  const stored = async (url: string, schema: string) => {
    const [r] = await query(url, `SELECT count(*) AS n, count(DISTINCT (venue, symbol, trade_id)) AS d FROM "${schema}".trades`);
    return { rows: Number(r.n), distinct: Number(r.d) };
  };
  const ids = async (url: string, schema: string) =>
    new Set((await query(url, `SELECT venue, symbol, trade_id FROM "${schema}".trades`)).map((r) => tradeKey({ venue: r.venue, symbol: r.symbol, id: r.trade_id })));

  it('Postgres stopped for 10 s during ingest: readiness fails, then everything published is stored once, without a restart', async () => {
    const ns = testNamespace('dbo');
    const pg = PrivatePostgres.primary(await freePort());
    clusters.push(pg);
    streams.push(await ensureTradesStream(jsm, ns.subjectPrefix));
    const feed = new TradeFeed(nc, ns.subjectPrefix);
    const svc = await service(ns, { POSTGRES_URL: pg.url });
    const running = startFeed(feed, Date.now() - 3_600_000);
    feeds.push(running);

    await waitFor(async () => (await stored(pg.url, ns.schema).catch(() => ({ rows: 0 }))).rows > 500, 60_000, 100);
    pg.stop('immediate');
    await waitFor(async () => (await getJson(`${svc.url}/health/readiness`)).status === 503, 10_000, 100);
    const down = await getJson(`${svc.url}/health/readiness`);
    expect(down.body.checks['postgres:responseTime'][0]).toMatchObject({ status: 'fail' });
    // The outage itself (trades keep arriving in the stream meanwhile).
    await new Promise((r) => setTimeout(r, 10_000));
    pg.start();
    await waitFor(async () => (await getJson(`${svc.url}/health/readiness`)).status === 200, 30_000, 100).catch((e: Error) => {
      throw new Error(`${e.message} (exit code ${svc.child.exitCode})\n${svc.output()}`);
    });
    await running.stop();

    await waitFor(async () => (await stored(pg.url, ns.schema)).rows >= feed.published.size, 60_000, 200).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(await stored(pg.url, ns.schema))} of ${feed.published.size}\n${svc.output()}`);
    });
    expect(await stored(pg.url, ns.schema)).toEqual({ rows: feed.published.size, distinct: feed.published.size });
    expect(await ids(pg.url, ns.schema)).toEqual(new Set(feed.published.keys()));
    // Recovered in place: the same process throughout.
    expect(svc.child.exitCode).toBeNull();
  });

  it('failover to a promoted streaming replica: writes resume on it within 5 s and nothing is lost', async () => {
    const ns = testNamespace('dbf');
    // Synchronous replication: a commit the service saw is on the replica (with asynchronous
    // replication the last commits before a crash may be lost by Postgres itself).
    const primary = PrivatePostgres.primary(await freePort(), [`synchronous_standby_names = '*'`]);
    clusters.push(primary);
    const replica = PrivatePostgres.replicaOf(primary, await freePort());
    clusters.push(replica);
    await waitFor(async () => (await query(primary.url, 'SELECT count(*) AS n FROM pg_stat_replication'))[0].n === '1', 20_000, 100);

    streams.push(await ensureTradesStream(jsm, ns.subjectPrefix));
    const events = nc.subscribe(`${ns.subjectPrefix}svc.event.db-proxy.failover`);
    const feed = new TradeFeed(nc, ns.subjectPrefix);
    const svc = await service(ns, { POSTGRES_URL: primary.url, POSTGRES_NODES: `${primary.url},${replica.url}` });
    const running = startFeed(feed, Date.now() - 3_600_000);
    feeds.push(running);

    // Ingesting on the primary; the replica serves reads.
    await waitFor(async () => (await stored(primary.url, ns.schema).catch(() => ({ rows: 0 }))).rows > 1000, 60_000, 100);
    const status = await getJson(`${svc.url}/health/readiness`);
    expect(status.status).toBe(200);

    replica.promote();
    primary.stop('immediate');
    const t0 = Date.now();
    // A trade published after the old primary died shows up on the new one.
    const probe = await waitFor(() => running.firstSentAfter(t0), 5_000, 20);
    await waitFor(async () => (await query(replica.url, `SELECT 1 FROM "${ns.schema}".trades WHERE trade_id = '${probe}'`)).length === 1, 30_000, 50).catch(
      (e: Error) => {
        throw new Error(`${e.message}\n${svc.output()}`);
      },
    );
    const resumedMs = Date.now() - t0;
    expect(resumedMs).toBeLessThan(5_000);
    await running.stop();

    await waitFor(async () => (await stored(replica.url, ns.schema)).rows >= feed.published.size, 60_000, 200).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(await stored(replica.url, ns.schema))} of ${feed.published.size}\n${svc.output()}`);
    });
    expect(await stored(replica.url, ns.schema)).toEqual({ rows: feed.published.size, distinct: feed.published.size });
    expect(await ids(replica.url, ns.schema)).toEqual(new Set(feed.published.keys()));

    // Serving again (degraded: one node down), and the monitor was told.
    const after = await waitFor(async () => {
      const r = await getJson(`${svc.url}/health/readiness`);
      return r.status === 200 ? r : undefined;
    }, 20_000).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify((await getJson(`${svc.url}/health/readiness`)).body)}`);
    });
    expect(after.body.checks['postgres:responseTime'][0]).toMatchObject({ status: 'warn', output: expect.stringContaining(`127.0.0.1:${primary.port}`) });
    expect(svc.child.exitCode).toBeNull();
    const event = await waitFor(async () => {
      for await (const m of events) return m.json<{ data: { to: string } }>();
      return undefined;
    }, 5000);
    expect(event.data.to).toBe(`127.0.0.1:${replica.port}`);
    events.unsubscribe();
    process.stdout.write(`failover: writes resumed on the promoted replica ${resumedMs} ms after the old primary stopped\n`);
  });
});
