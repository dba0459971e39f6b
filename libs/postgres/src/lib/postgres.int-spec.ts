import { HealthModule, HealthRegistry } from '@cryptoscalp/health';
import { INFRA, testNamespace, waitFor } from '@cryptoscalp/testing';

import { Test } from '@nestjs/testing';
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
