import { HealthModule, HealthRegistry } from '@cryptoscalp/health';
import { INFRA, testNamespace, waitFor } from '@cryptoscalp/testing';

import { Test } from '@nestjs/testing';
import { Client } from 'pg';
import { DataSource } from 'typeorm';

import { PostgresConnector } from './postgres.connector';
import { PostgresModule } from './postgres.module';

const config = (url: string, schema: string) => ({
  POSTGRES_URL: url,
  POSTGRES_SCHEMA: schema,
  POSTGRES_POOL_MAX: 2,
  POSTGRES_CONNECT_TIMEOUT_MS: 1000,
});

describe('PostgresModule (real Postgres)', () => {
  it('connects in the background, creates its schema, and reports a passing component', async () => {
    const ns = testNamespace('pg');
    const moduleRef = await Test.createTestingModule({
      imports: [
        HealthModule.forRoot({ service: 'spec', instance: 'p1', version: '0', checkTimeoutMs: 1000 }),
        PostgresModule.forRoot(config(INFRA.postgresUrl, ns.schema), 'spec/p1'),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const ds = app.get(DataSource);
    await waitFor(
      async () =>
        ds.isInitialized && (await ds.query(`SELECT 1 FROM information_schema.schemata WHERE schema_name = '${ns.schema}'`)).length === 1,
    );
    const body = await app.get(HealthRegistry).evaluate();
    expect(body.checks['postgres:responseTime']?.[0]).toMatchObject({ status: 'pass', observedUnit: 'ms' });
    await ds.query(`DROP SCHEMA "${ns.schema}" CASCADE`);
    await app.close();
    expect(ds.isInitialized).toBe(false);
  });

  it('boots while Postgres is unreachable, reports fail with the connect error, and stops retrying on close', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        HealthModule.forRoot({ service: 'spec', instance: 'p2', version: '0', checkTimeoutMs: 1000 }),
        PostgresModule.forRoot(config('postgres://postgres@127.0.0.1:1/test', 'public'), 'spec/p2'),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const connector = app.get(PostgresConnector);
    await waitFor(() => connector.attempts >= 1 && connector.lastError !== undefined);
    const body = await app.get(HealthRegistry).evaluate();
    expect(body.checks['postgres:responseTime']?.[0]).toMatchObject({
      status: 'fail',
      output: expect.stringContaining('Postgres not connected: '),
    });
    await app.close();
  });
});

describe('PostgresModule schema (real Postgres)', () => {
  const admin = new Client({ connectionString: INFRA.postgresUrl });
  beforeAll(() => admin.connect());
  afterAll(() => admin.end());

  async function start(url: string, schema: string, instance: string) {
    const moduleRef = await Test.createTestingModule({
      imports: [
        HealthModule.forRoot({ service: 'spec', instance, version: '0', checkTimeoutMs: 1000 }),
        PostgresModule.forRoot(config(url, schema), `spec/${instance}`),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app;
  }

  it('puts raw SQL in the configured schema: every pooled connection has it on its search_path', async () => {
    const ns = testNamespace('pgsp');
    const app = await start(INFRA.postgresUrl, ns.schema, 'p3');
    const connector = app.get(PostgresConnector);
    await waitFor(() => connector.ready);
    const ds = app.get(DataSource);
    // Several connections of the pool at once, not just the first one.
    const schemas = await Promise.all([1, 2, 3, 4].map(() => ds.query('SELECT current_schema() AS s, pg_sleep(0.05)')));
    expect(schemas.map((r) => r[0].s)).toEqual([ns.schema, ns.schema, ns.schema, ns.schema]);
    await ds.query('CREATE TABLE raw_sql_probe (id int)');
    const where = await admin.query("SELECT table_schema FROM information_schema.tables WHERE table_name = 'raw_sql_probe'");
    expect(where.rows.map((r) => r.table_schema)).toEqual([ns.schema]);
    await ds.query(`DROP SCHEMA "${ns.schema}" CASCADE`);
    await app.close();
  });

  it('stays unready while its schema cannot be created after connecting, and becomes ready when it can', async () => {
    const ns = testNamespace('pgperm');
    const role = `r_${ns.id}`;
    // A role that may log in (trust) but may not create schemas in the database.
    await admin.query(`CREATE ROLE "${role}" LOGIN`);
    const url = new URL(INFRA.postgresUrl);
    url.username = role;
    const app = await start(url.toString(), ns.schema, 'p4');
    try {
      const connector = app.get(PostgresConnector);
      const health = app.get(HealthRegistry);
      await waitFor(() => connector.attempts >= 2 && connector.lastError?.includes('permission denied'));
      expect(app.get(DataSource).isInitialized).toBe(true);
      expect(connector.ready).toBe(false);
      const failing = await health.evaluate();
      expect(failing.checks['postgres:responseTime']?.[0]).toMatchObject({ status: 'fail', output: expect.stringContaining('permission denied') });

      await admin.query(`GRANT CREATE ON DATABASE "${url.pathname.slice(1)}" TO "${role}"`);
      await waitFor(() => connector.ready, 15_000);
      const passing = await health.evaluate();
      expect(passing.checks['postgres:responseTime']?.[0]).toMatchObject({ status: 'pass' });
      const exists = await admin.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [ns.schema]);
      expect(exists.rowCount).toBe(1);
    } finally {
      await app.close();
      await admin.query(`DROP SCHEMA IF EXISTS "${ns.schema}" CASCADE`);
      await admin.query(`REVOKE ALL ON DATABASE "${url.pathname.slice(1)}" FROM "${role}"`);
      await admin.query(`DROP ROLE IF EXISTS "${role}"`);
    }
  });
});
