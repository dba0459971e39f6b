import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseYaml, read, root } from './testing/deploy-files';


/** Each deployable's default HTTP port, read from its own configuration (the oracle). */
function configuredDefaultPorts(): Record<string, number> {
  const ports: Record<string, number> = {};
  for (const app of readdirSync(join(root, 'apps'))) {
    const dir = join(root, 'apps', app, 'src', 'app');
    const config = readdirSync(dir).find((f) => f.endsWith('.config.ts'));
    const m = config && /HTTP_PORT: httpPort\((\d+)\)/.exec(readFileSync(join(dir, config), 'utf8'));
    if (m) ports[app] = Number(m[1]);
  }
  const sim = /control: (\d+)/.exec(read('libs/exchange-simulator/src/lib/simulator.ts'));
  ports['exchange-simulator'] = Number(sim?.[1]);
  return ports;
}

/** Runs the image's healthcheck script as a child process (async: the probed server lives in this process). */
function runHealthcheck(env: Record<string, string>): Promise<number | null> {
  const child = spawn(process.execPath, [join(root, 'deploy/docker/healthcheck.js')], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: 'ignore' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  return new Promise((resolve) => child.on('exit', (code) => (clearTimeout(timer), resolve(code))));
}

describe('Docker image HEALTHCHECK', () => {
  it("probes each service's own default port, not a shared fallback", () => {
    const dockerfile = read('deploy/docker/Dockerfile');
    const table = Object.fromEntries([...dockerfile.matchAll(/^\s+([a-z-]+)\) echo (\d+) ;;/gm)].map((m) => [m[1], Number(m[2])]));
    const expected = configuredDefaultPorts();
    expect(Object.keys(expected).sort()).toEqual(['cache-service', 'db-proxy', 'exchange-simulator', 'market-data-gateway', 'monitor']);
    expect(table).toEqual(expected);
    expect(dockerfile).toMatch(/HEALTHCHECK .*CMD \["node", "\/app\/healthcheck.js"\]/);
    expect(dockerfile).not.toMatch(/HTTP_PORT\s*\|\|\s*3000/);
  });

  describe('healthcheck.js', () => {
    let server: Server;
    let port = 0;
    let status = 200;
    const dir = mkdtempSync(join(tmpdir(), 'cs-hc-'));
    const portFile = join(dir, '.http-port');
    beforeAll(async () => {
      server = createServer((req, res) => {
        res.statusCode = req.url === '/health/liveness' ? status : 404;
        res.end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
      writeFileSync(portFile, `${port}\n`);
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('uses the port written into the image when HTTP_PORT is unset, and HTTP_PORT when set', async () => {
      status = 200;
      expect(await runHealthcheck({ HEALTHCHECK_PORT_FILE: portFile })).toBe(0);
      expect(await runHealthcheck({ HEALTHCHECK_PORT_FILE: join(dir, 'missing'), HTTP_PORT: String(port) })).toBe(0);
    });

    it('probes the liveness path written into the image (the simulator has /health), HEALTHCHECK_PATH when set', async () => {
      status = 200;
      const pathFile = join(dir, '.health-path');
      writeFileSync(pathFile, '/elsewhere\n');
      expect(await runHealthcheck({ HEALTHCHECK_PORT_FILE: portFile, HEALTHCHECK_PATH_FILE: pathFile })).toBe(1);
      writeFileSync(pathFile, '/health/liveness\n');
      expect(await runHealthcheck({ HEALTHCHECK_PORT_FILE: portFile, HEALTHCHECK_PATH_FILE: pathFile })).toBe(0);
      expect(await runHealthcheck({ HEALTHCHECK_PORT_FILE: portFile, HEALTHCHECK_PATH_FILE: pathFile, HEALTHCHECK_PATH: '/nope' })).toBe(1);
    });

    it('fails on a non-2xx answer, on nothing listening and without any port', async () => {
      status = 503;
      expect(await runHealthcheck({ HEALTHCHECK_PORT_FILE: portFile })).toBe(1);
      status = 200;
      expect(await runHealthcheck({ HTTP_PORT: '1' })).toBe(1);
      expect(await runHealthcheck({ HEALTHCHECK_PORT_FILE: join(dir, 'missing') })).toBe(1);
    });
  });
});

describe('deployment secrets', () => {
  const composeSecretFiles = () => {
    const compose = parseYaml(read('docker-compose.prod.yml'));
    return Object.entries(compose.secrets as Record<string, { file: string }>).map(([name, s]) => ({ name, file: s.file.replace(/^\.\//, '') }));
  };

  it('are never committed: only the README is tracked in deploy/secrets, and every secret file compose mounts is ignored', () => {
    const tracked = execFileSync('git', ['ls-files', 'deploy/secrets'], { cwd: root, encoding: 'utf8' }).trim().split('\n');
    expect(tracked).toEqual(['deploy/secrets/README.md']);
    const files = composeSecretFiles();
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const { file } of files) {
      expect(file).toMatch(/^deploy\/secrets\/[a-z_]+\.txt$/);
      expect(spawnSync('git', ['check-ignore', '-q', file], { cwd: root }).status).toBe(0);
    }
  });

  it('no tracked file outside deploy/secrets carries a secret value: no password/token literals in deploy manifests', () => {
    const tracked = execFileSync('git', ['ls-files', '-co', '--exclude-standard', 'deploy', 'docker-compose.prod.yml'], { cwd: root, encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter((f) => /\.(ya?ml|conf|env|example|json)$/.test(f) && !f.startsWith('deploy/schemas/'));
    const offenders: string[] = [];
    for (const file of tracked) {
      const text = read(file);
      for (const m of text.matchAll(/^[^#\n]*?\b([A-Z_]*(?:PASSWORD|TOKEN|SECRET|PASSPHRASE|API_KEY))\s*[:=]\s*['"]?([^\s'"#,}]+)/gm)) {
        const [, name, value] = m as unknown as [string, string, string];
        if (/_FILE$/.test(name) || value.startsWith('$') || value.startsWith('/run/secrets/') || /^example-change-me/.test(value)) continue;
        offenders.push(`${file}: ${name}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('are generated at deploy time: every file compose mounts, random, kept when present; folder 700, files readable by the container users', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-secrets-'));
    mkdirSync(join(dir, 'scripts'));
    mkdirSync(join(dir, 'secrets'));
    copyFileSync(join(root, 'deploy/scripts/init-secrets.sh'), join(dir, 'scripts/init-secrets.sh'));
    chmodSync(join(dir, 'scripts/init-secrets.sh'), 0o755);
    execFileSync('bash', [join(dir, 'scripts/init-secrets.sh')]);
    expect(statSync(join(dir, 'secrets')).mode & 0o777).toBe(0o700);
    const values = new Set<string>();
    const first: Record<string, string> = {};
    for (const { file } of composeSecretFiles()) {
      const path = join(dir, 'secrets', file.replace('deploy/secrets/', ''));
      const value = readFileSync(path, 'utf8');
      expect(value).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(statSync(path).mode & 0o777).toBe(0o444);
      values.add(value);
      first[path] = value;
    }
    expect(values.size).toBe(Object.keys(first).length);
    execFileSync('bash', [join(dir, 'scripts/init-secrets.sh')]);
    for (const [path, value] of Object.entries(first)) expect(readFileSync(path, 'utf8')).toBe(value);
  });
});
