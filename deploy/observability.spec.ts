import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { has, parseYaml, read, root, sourceFiles } from './testing/deploy-files';

/** Every cs_* metric name a PromQL text uses, without histogram suffixes. */
function metricNames(text: string): string[] {
  return [...new Set([...text.matchAll(/\bcs_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')))].sort();
}

/** Metric names the services register: `cs_` + the name given to the registry, or a literal cs_ name. */
const registered = (() => {
  const text = [...sourceFiles('apps'), ...sourceFiles('libs')].map((f) => read(f)).join('\n');
  const names = new Set<string>();
  for (const m of text.matchAll(/\.(?:counter|gauge|histogram|summary)\(\s*'([a-z0-9_]+)'/g)) names.add(`cs_${m[1]}`);
  for (const m of text.matchAll(/'(cs_[a-z0-9_]+)'/g)) names.add(m[1] as string);
  // prom-client's default metrics, registered with the same prefix (libs/metrics: collectDefaultMetrics).
  expect(read('libs/metrics/src/lib/metrics-registry.ts')).toMatch(/collectDefaultMetrics\(/);
  const defaults = join(root, 'node_modules/prom-client/lib/metrics');
  for (const f of readdirSync(defaults).filter((x) => x.endsWith('.js'))) for (const m of readFileSync(join(defaults, f), 'utf8').matchAll(/'((?:nodejs|process)_[a-z0-9_]+)'/g)) names.add(`cs_${m[1]}`);
  return names;
})();

describe('Prometheus, Alertmanager, Grafana', () => {
  const rules = read('deploy/prometheus/rules/cryptoscalp.rules.yml');
  const dashboard = JSON.parse(read('deploy/grafana/dashboards/cryptoscalp-overview.json'));

  it('alert rules and the dashboard use only metrics the services really export', () => {
    const used = [...metricNames(rules), ...metricNames(JSON.stringify(dashboard))];
    expect(used.length).toBeGreaterThan(8);
    expect(used.filter((m) => !registered.has(m))).toEqual([]);
  });

  it('scrapes every service on its own port under the compose service name', () => {
    const config = parseYaml(read('deploy/prometheus/prometheus.yml'));
    const compose = parseYaml(read('docker-compose.prod.yml'));
    for (const name of ['market-data-gateway', 'cache-service', 'db-proxy', 'monitor']) {
      const job = config.scrape_configs.find((j: any) => j.job_name === name);
      expect(job.dns_sd_configs[0].names).toEqual([name]);
      expect(String(job.dns_sd_configs[0].port)).toBe(compose.services[name].environment.HTTP_PORT);
      expect(job.honor_labels).toBe(true);
    }
    expect(config.rule_files).toEqual(['/etc/prometheus/rules/*.rules.yml']);
  });

  it('Grafana: the dashboard queries the provisioned datasource', () => {
    const ds = parseYaml(read('deploy/grafana/provisioning/datasources/prometheus.yml')).datasources[0];
    expect(ds.url).toBe('http://prometheus:9090');
    for (const p of dashboard.panels) {
      expect(p.datasource.uid).toBe(ds.uid);
      for (const t of p.targets) expect(t.expr.length).toBeGreaterThan(0);
    }
    const provider = parseYaml(read('deploy/grafana/provisioning/dashboards/cryptoscalp.yml')).providers[0];
    const compose = parseYaml(read('docker-compose.prod.yml'));
    expect(compose.services.grafana.volumes).toContain(`./deploy/grafana/dashboards:${provider.options.path}:ro`);
  });

  (has('promtool') ? it : it.skip)('promtool: the config and rules are valid and the rule unit tests pass', () => {
    const dir = join(root, 'deploy/prometheus');
    execFileSync('promtool', ['check', 'rules', 'rules/cryptoscalp.rules.yml'], { cwd: dir, stdio: 'pipe' });
    execFileSync('promtool', ['check', 'config', '--syntax-only', 'prometheus.yml'], { cwd: dir, stdio: 'pipe' });
    execFileSync('promtool', ['test', 'rules', 'cryptoscalp.test.yml'], { cwd: join(dir, 'rules'), stdio: 'pipe' });
  });

  (has('amtool') ? it : it.skip)('amtool: the Alertmanager config is valid', () => {
    execFileSync('amtool', ['check-config', join(root, 'deploy/alertmanager/alertmanager.yml')], { stdio: 'pipe' });
  });
});

describe('server configuration files', () => {
  (has('nats-server') ? it : it.skip)('deploy/nats/nats.conf is accepted by nats-server (-t)', () => {
    const r = spawnSync('nats-server', ['-c', join(root, 'deploy/nats/nats.conf'), '-t'], { env: { ...process.env, NATS_USER: 'u', NATS_PASSWORD: 'p' }, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toMatch(/is valid/);
    expect(r.status).toBe(0);
  });

  (has('redis-server') ? it : it.skip)('deploy/redis/redis.conf starts a redis-server that needs the password and keeps nothing on disk', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const dir = mkdtempSync(join(tmpdir(), 'cs-redis-'));
    const conf = readFileSync(join(root, 'deploy/redis/redis.conf'), 'utf8');
    expect(conf).toMatch(/^save ""$/m);
    const child = spawn('redis-server', [join(root, 'deploy/redis/redis.conf'), '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--requirepass', 'pw-test'], { stdio: 'ignore' });
    try {
      const cli = (...args: string[]) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' });
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !/PONG|NOAUTH/.test(cli('ping').stdout)) await new Promise((r) => setTimeout(r, 100));
      expect(cli('ping').stdout).toMatch(/NOAUTH/);
      expect(cli('-a', 'pw-test', '--no-auth-warning', 'ping').stdout.trim()).toBe('PONG');
      expect(cli('-a', 'pw-test', '--no-auth-warning', 'config', 'get', 'maxmemory-policy').stdout).toMatch(/volatile-lru/);
      expect(cli('-a', 'pw-test', '--no-auth-warning', 'config', 'get', 'appendonly').stdout).toMatch(/no/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
