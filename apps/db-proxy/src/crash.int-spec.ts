import { builtMain, freePort, getJson, INFRA, type SpawnedService, spawnService, testNamespace, waitFor } from '@cryptoscalp/testing';

import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { Client } from 'pg';

import { ensureTradesStream, feedTrade, TradeFeed, tradeKey } from './testing/trade-feed';

jest.setTimeout(180_000);

describe('db-proxy killed with SIGKILL in the middle of ingest (production build, real NATS and Postgres)', () => {
  const ns = testNamespace('dbk');
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let admin: Client;
  const services: SpawnedService[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: INFRA.natsUrl });
    jsm = await nc.jetstreamManager();
    admin = new Client({ connectionString: INFRA.postgresUrl });
    await admin.connect();
  });

  afterAll(async () => {
    for (const s of services) await s.stop('SIGKILL');
    await jsm.streams.delete(`${ns.id}_MD_TRADES`).catch(() => undefined);
    await admin.query(`DROP SCHEMA IF EXISTS "${ns.schema}" CASCADE`);
    await admin.end();
    await nc.close();
  });

  const start = async () => {
    const s = spawnService(
      builtMain('db-proxy'),
      {
        INSTANCE_ID: `${ns.id}-1`,
        LOG_LEVEL: 'warn',
        NATS_URL: INFRA.natsUrl,
        NATS_SUBJECT_PREFIX: ns.subjectPrefix,
        POSTGRES_URL: INFRA.postgresUrl,
        POSTGRES_SCHEMA: ns.schema,
        INGEST_BATCH_MAX: '500',
        // The killed instance's unacknowledged batch comes back this soon.
        INGEST_ACK_WAIT_MS: '3000',
      },
      await freePort(),
    );
    services.push(s);
    return s;
  };
  const counts = async () => {
    const r = await admin.query(`SELECT count(*) AS n, count(DISTINCT (venue, symbol, trade_id)) AS d FROM "${ns.schema}".trades`);
    return { rows: Number(r.rows[0].n), distinct: Number(r.rows[0].d) };
  };

  it('after a restart the rows are exactly the distinct trades published: none lost, none doubled', async () => {
    await ensureTradesStream(jsm, ns.subjectPrefix);
    const feed = new TradeFeed(nc, ns.subjectPrefix);
    const baseTs = Date.now() - 3_600_000;
    // 60,000 trades, every 7th also re-sent under another message id (68,572 messages).
    await feed.publish(Array.from({ length: 60_000 }, (_, i) => feedTrade(i, baseTs)), { redundantCopy: (t) => Number(t.id) % 7 === 0 });

    const first = await start();
    // Killed as soon as some batches are committed, with most of the stream still to go.
    await waitFor(async () => (await counts().catch(() => ({ rows: 0 }))).rows >= 2000, 60_000, 10);
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = await counts();
    expect(atKill.rows).toBeLessThan(feed.published.size);

    const second = await start();
    await waitFor(async () => (await counts()).rows >= feed.published.size, 90_000, 200).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(await counts())}\n${second.output()}`);
    });
    const after = await counts();
    expect(after).toEqual({ rows: feed.published.size, distinct: feed.published.size });
    const ids = await admin.query(`SELECT venue, symbol, trade_id FROM "${ns.schema}".trades`);
    expect(new Set(ids.rows.map((r) => tradeKey({ venue: r.venue, symbol: r.symbol, id: r.trade_id })))).toEqual(new Set(feed.published.keys()));
    // The instruments' counts (maintained from inserted rows only) agree with the rows.
    const stats = await waitFor(async () => {
      const r = await getJson(`${second.url}/v1/stats`);
      return r.body?.lag === 0 ? r.body : undefined;
    }, 30_000);
    expect(stats.items.reduce((s: number, i: { count: number }) => s + i.count, 0)).toBe(feed.published.size);
  });
});
