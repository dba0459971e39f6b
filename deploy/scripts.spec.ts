import { execFileSync, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

import { root } from './testing/deploy-files';

/** Runs health-check.sh (async: the fake monitor lives in this process). */
function healthCheck(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn('bash', [join(root, 'deploy/scripts/health-check.sh'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

// Bodies in the shape the monitor's GET /api/health serves (apps/monitor/src/app/api/health-view.ts).
const body = (status: string, output?: string) => ({
  status,
  version: '1',
  serviceId: 'cryptoscalp',
  description: 'aggregated health of every CryptoScalp instance, dependency and feed',
  ...(output ? { output } : {}),
  rootCauses: output ? [{ dependency: 'nats', status: 'fail', instances: ['a'], summary: output }] : [],
  checks: {
    'db-proxy:instances': [{ componentId: 'db-proxy', componentType: 'service', status, observedValue: 1, observedUnit: 'of 1 serving', time: '2026-01-01T00:00:00.000Z' }],
    'venue:binance:symbols': [{ componentId: 'venue:binance', componentType: 'feed', status: 'pass', observedValue: 2, observedUnit: 'of 2 symbols healthy', time: '2026-01-01T00:00:00.000Z' }],
  },
});

describe('deploy/scripts/health-check.sh', () => {
  let server: Server;
  let url = '';
  let answer: object | string = body('pass');
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url !== '/api/health') return void res.writeHead(404).end();
      const status = typeof answer === 'object' && (answer as { status: string }).status === 'fail' ? 503 : 200;
      res.writeHead(status, { 'content-type': 'application/health+json' }).end(typeof answer === 'string' ? answer : JSON.stringify(answer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('exits 0 on pass, 1 on warn, 2 on fail, and says the status and each check', async () => {
    answer = body('pass');
    const pass = await healthCheck(['--url', url]);
    expect(pass.code).toBe(0);
    expect(pass.out).toMatch(/^PASS {2}platform health from/);
    expect(pass.out).toMatch(/pass\tdb-proxy:instances/);
    expect(pass.out).toMatch(/pass\tvenue:binance:symbols/);
    answer = body('warn');
    const warn = await healthCheck(['--url', url]);
    expect(warn.code).toBe(1);
    expect(warn.out).toMatch(/^WARN/);
    answer = body('fail', 'nats is down: 4 instances affected');
    const fail = await healthCheck(['--url', url]);
    expect(fail.code).toBe(2);
    expect(fail.out).toMatch(/^FAIL {2}platform health from \S+: nats is down: 4 instances affected/);
    expect(fail.out).not.toMatch(/rootCauses/);
  });

  it('--json prints the monitor body as is, with the same exit codes', async () => {
    answer = body('warn');
    const r = await healthCheck(['--json', '--url', url]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toEqual(body('warn'));
  });

  it('exits 2 with a clear message when the monitor is unreachable or answers something else', async () => {
    const down = await healthCheck(['--url', 'http://127.0.0.1:1', '--timeout', '2']);
    expect(down.code).toBe(2);
    expect(down.out).toMatch(/monitor unreachable at http:\/\/127\.0\.0\.1:1/);
    const downJson = await healthCheck(['--json', '--url', 'http://127.0.0.1:1', '--timeout', '2']);
    expect(JSON.parse(downJson.out).status).toBe('fail');
    answer = '<html>proxy error</html>';
    expect((await healthCheck(['--url', url])).code).toBe(2);
  });
});

describe('operator scripts', () => {
  it.each(['deploy.sh', 'health-check.sh', 'smoke-test.sh', 'build-images.sh', 'backup-postgres.sh', 'restore-postgres.sh', 'run-benchmarks.sh', 'init-secrets.sh'])(
    '%s is executable and parses',
    (script) => {
      const path = join(root, 'deploy/scripts', script);
      execFileSync('test', ['-x', path]);
      expect(execFileSync('bash', ['-n', path]).toString()).toBe('');
    },
  );
});
