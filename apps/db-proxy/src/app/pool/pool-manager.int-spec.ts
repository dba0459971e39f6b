import { ResilienceRegistry } from '@cryptoscalp/circuit-breaker';
import { CLOSED_PORT, INFRA, testNamespace, waitFor } from '@cryptoscalp/testing';

import { Client } from 'pg';

import { PartitionMaintainer } from '../schema/partition-maintainer';
import { runMigrations } from '../schema/schema-migrator';
import { type PoolLogger, PoolManager, type PoolManagerOptions } from './pool-manager';

jest.setTimeout(60_000);

const quiet: PoolLogger = { log: () => undefined, warn: () => undefined };
const closedUrl = `postgres://postgres@127.0.0.1:${CLOSED_PORT}/test`;

describe('PoolManager and partitions (real Postgres)', () => {
  const ns = testNamespace('dbp');
  const admin = new Client({ connectionString: INFRA.postgresUrl });
  const managers: PoolManager[] = [];
  const options = (over: Partial<PoolManagerOptions> = {}): PoolManagerOptions => ({
    urls: [INFRA.postgresUrl],
    schema: ns.schema,
    applicationName: 'spec',
    poolMax: 3,
    connectTimeoutMs: 1000,
    statementTimeoutMs: 300,
    healthIntervalMs: 100,
    ejectAfter: 2,
    slowQueryMs: 10_000,
    retryAttempts: 3,
    ...over,
  });
  const manager = (over: Partial<PoolManagerOptions> = {}, logger = quiet) => {
    const m = new PoolManager(options(over), new ResilienceRegistry(), logger);
    managers.push(m);
    m.start();
    return m;
  };

  beforeAll(async () => {
    await admin.connect();
    await runMigrations({ url: INFRA.postgresUrl, schema: ns.schema, connectTimeoutMs: 2000 });
  });
  afterAll(async () => {
    for (const m of managers) await m.stop();
    await admin.query(`DROP SCHEMA IF EXISTS "${ns.schema}" CASCADE`);
    await admin.end();
  });

  it('finds the primary among its nodes, ejects the unreachable one, and reads fall back to the primary', async () => {
    const m = manager({ urls: [closedUrl, INFRA.postgresUrl] });
    expect(await m.whenPrimary(5000)).toBe(true);
    const status = m.status();
    expect(status.map((n) => [n.name, n.healthy, n.role])).toEqual([
      [`127.0.0.1:${CLOSED_PORT}`, false, 'unknown'],
      [new URL(INFRA.postgresUrl).host, true, 'primary'],
    ]);
    const rows = await m.query<{ s: string }>('spec_read', 'replica', 'SELECT current_schema() AS s');
    expect(rows).toEqual([{ s: ns.schema }]);
  });

  it('always sets a statement timeout: a slow query fails with 57014, is not retried and does not count against the node', async () => {
    const m = manager();
    await m.whenPrimary(5000);
    const calls: number[] = [];
    await expect(
      m.run('spec_slow', 'primary', async (c) => {
        calls.push(Date.now());
        return c.query('SELECT pg_sleep(2)');
      }, { idempotent: true }),
    ).rejects.toMatchObject({ code: '57014' });
    expect(calls).toHaveLength(1);
    expect(m.primary?.breaker.failures).toBe(0);
  });

  it('retries idempotent work after a node failure, never non-idempotent work', async () => {
    const m = manager();
    await m.whenPrimary(5000);
    // The server ends this connection under the work (admin_shutdown, 57P01): a node failure.
    const killOwnConnection = async (c: { query: (sql: string) => Promise<unknown> }) => c.query('SELECT pg_terminate_backend(pg_backend_pid())');
    let idempotentCalls = 0;
    const result = await m.run('spec_retry', 'primary', async (c) => {
      if (++idempotentCalls === 1) await killOwnConnection(c);
      return 'done';
    }, { idempotent: true });
    expect({ result, idempotentCalls }).toEqual({ result: 'done', idempotentCalls: 2 });

    let writeCalls = 0;
    await expect(
      m.run('spec_write', 'primary', async (c) => {
        writeCalls++;
        await killOwnConnection(c);
      }),
    ).rejects.toThrow();
    expect(writeCalls).toBe(1);
  });

  it('creates partitions ahead, and retention drops the expired days with their candles and counts', async () => {
    const m = manager();
    await m.whenPrimary(5000);
    let now = Date.UTC(2030, 0, 10, 12);
    const parts = new PartitionMaintainer(m, { retentionDays: 3, aheadDays: 2, now: () => now });
    expect((await parts.maintain()).created).toEqual(['trades_20300110', 'trades_20300111', 'trades_20300112']);
    // Two old days of data put in by hand (one trade each) plus their candles and counts.
    await parts.ensure([Date.UTC(2030, 0, 7) / 86_400_000, Date.UTC(2030, 0, 8) / 86_400_000]);
    const s = `"${ns.schema}"`;
    await admin.query(`INSERT INTO ${s}.trades VALUES
      ('binance','BTC-USDT','1','2030-01-07','2030-01-07T10:00:00Z',1,1,'buy','2030-01-07T10:00:00Z',1),
      ('binance','BTC-USDT','2','2030-01-08','2030-01-08T10:00:00Z',1,1,'buy','2030-01-08T10:00:00Z',2),
      ('binance','BTC-USDT','3','2030-01-10','2030-01-10T10:00:00Z',1,1,'buy','2030-01-10T10:00:00Z',3)`);
    await admin.query(`INSERT INTO ${s}.candles_1m VALUES
      ('binance','BTC-USDT','2030-01-07T10:00:00Z',1,1,1,1,1,1,'2030-01-07T10:00:00Z','1','2030-01-07T10:00:00Z','1'),
      ('binance','BTC-USDT','2030-01-10T10:00:00Z',1,1,1,1,1,1,'2030-01-10T10:00:00Z','3','2030-01-10T10:00:00Z','3')`);
    await admin.query(`INSERT INTO ${s}.instruments (venue, symbol, trade_count, first_ts, last_ts) VALUES ('binance','BTC-USDT',3,'2030-01-07T10:00:00Z','2030-01-10T10:00:00Z')`);

    // Keeping 3 days on 2030-01-10 means 01-08, 01-09, 01-10: 01-07 goes.
    expect((await parts.maintain()).dropped).toEqual(['trades_20300107']);
    now = Date.UTC(2030, 0, 11, 0, 0, 1); // a day later: 01-08 goes too.
    expect(await parts.maintain()).toEqual({ created: ['trades_20300113'], dropped: ['trades_20300108'] });

    const left = await admin.query(`SELECT trade_id FROM ${s}.trades ORDER BY 1`);
    expect(left.rows).toEqual([{ trade_id: '3' }]);
    const candles = await admin.query(`SELECT count(*)::int AS n FROM ${s}.candles_1m`);
    expect(candles.rows[0].n).toBe(1);
    const inst = await admin.query(`SELECT trade_count, first_ts FROM ${s}.instruments`);
    expect(inst.rows).toEqual([{ trade_count: '1', first_ts: new Date('2030-01-10T10:00:00Z') }]);
    expect(parts.oldestKeptDay).toBe(Date.UTC(2030, 0, 9) / 86_400_000);
  });

  it('logs queries slower than the threshold with their name and node, never their parameters', async () => {
    const lines: string[] = [];
    const m = manager({ slowQueryMs: 50 }, { log: () => undefined, warn: (l) => void lines.push(l) });
    await m.whenPrimary(5000);
    await m.query('spec_sleepy', 'primary', 'SELECT pg_sleep(0.1), $1::text AS secret', ['hunter2']);
    await waitFor(() => lines.some((l) => l.startsWith('slow query spec_sleepy on ')));
    expect(lines.join('\n')).not.toContain('hunter2');
  });
});
