import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Ajv, parseYaml, read, root, schemaDefaults, schemaVariables, SERVICES, simulatorVariables } from './testing/deploy-files';


const compose = parseYaml(read('docker-compose.prod.yml'));
const services: Record<string, any> = compose.services;
const ours = [...SERVICES, 'exchange-simulator'];
const infra = ['nats', 'redis', 'postgres'];
const observability = ['prometheus', 'alertmanager', 'grafana'];

describe('docker-compose.prod.yml', () => {
  it('is valid against the Compose Specification JSON schema', () => {
    const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    for (const format of ['duration', 'expose', 'ports', 'subnet_ip_address']) ajv.addFormat(format, true);
    const schema = JSON.parse(readFileSync(join(root, 'deploy/schemas/compose-spec.json'), 'utf8'));
    const validate = ajv.compile(schema);
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('runs the platform, the simulator behind `demo` and Prometheus/Alertmanager/Grafana behind `observability`', () => {
    expect(Object.keys(services).sort()).toEqual([...ours, ...infra, ...observability].sort());
    expect(services['exchange-simulator'].profiles).toEqual(['demo']);
    for (const s of observability) expect(services[s].profiles).toEqual(['observability']);
    for (const s of [...SERVICES, ...infra]) expect(services[s].profiles).toBeUndefined();
  });

  it.each(Object.keys(services))('%s: healthcheck, restart policy, no capabilities, no-new-privileges, resource limits', (name) => {
    const s = services[name];
    expect(s.healthcheck?.test).toBeDefined();
    expect(s.healthcheck.disable).toBeUndefined();
    expect(s.restart).toBe('unless-stopped');
    expect(s.cap_drop).toEqual(['ALL']);
    expect(s.security_opt).toContain('no-new-privileges:true');
    expect(s.deploy?.resources?.limits?.memory).toMatch(/^\d+[mg]$/);
    expect(s.deploy?.resources?.limits?.cpus).toBeDefined();
    // Read-only root everywhere but Postgres (its image writes its run directory and config on init).
    if (name !== 'postgres') expect(s.read_only).toBe(true);
  });

  it('every depends_on waits for a healthy dependency that exists; the optional one is the demo simulator', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, cond] of Object.entries((s.depends_on ?? {}) as Record<string, any>)) {
        expect(services[dep]).toBeDefined();
        expect(services[dep].healthcheck).toBeDefined();
        expect(`${name} → ${dep}: ${cond.condition}`).toBe(`${name} → ${dep}: service_healthy`);
        if (cond.required === false) expect(services[dep].profiles).toEqual(['demo']);
      }
    }
    for (const s of SERVICES) expect(services[s].depends_on.nats).toEqual({ condition: 'service_healthy' });
    expect(services['cache-service'].depends_on.redis).toBeDefined();
    expect(services['db-proxy'].depends_on.postgres).toBeDefined();
    expect(services.monitor.depends_on.postgres).toBeDefined();
  });

  it.each(ours)("%s: built from the one Dockerfile, healthcheck is the image's own (its port, liveness)", (name) => {
    const s = services[name];
    expect(s.build).toMatchObject({ context: '.', dockerfile: 'deploy/docker/Dockerfile', args: { APP: name } });
    expect(s.build.args.APP_DIR ?? 'apps').toBe(name === 'exchange-simulator' ? 'tools' : 'apps');
    expect(s.healthcheck.test).toEqual(['CMD', 'node', '/app/healthcheck.js']);
    // The image's healthcheck probes HTTP_PORT: it must be the port the service is told to listen on.
    const port = Number(s.environment.HTTP_PORT);
    const expected = name === 'exchange-simulator' ? 9100 : (schemaDefaults(name as (typeof SERVICES)[number]).HTTP_PORT as number);
    expect(port).toBe(expected);
    expect(s.environment.HEALTHCHECK_PATH).toBeUndefined();
  });

  it('the gateway scales with --scale: no fixed host port, container name or hostname; its health URL is the default http://<container>:3001', () => {
    const gw = services['market-data-gateway'];
    expect(gw.ports).toBeUndefined();
    expect(gw.container_name).toBeUndefined();
    expect(gw.hostname).toBeUndefined();
    expect(gw.environment.PUBLIC_URL).toBeUndefined();
    expect(gw.environment.INSTANCE_ID).toBeUndefined();
  });

  it('every other service advertises a health URL the monitor reaches on the compose network', () => {
    for (const name of ['cache-service', 'db-proxy']) {
      const s = services[name];
      const url = new URL(s.environment.PUBLIC_URL);
      expect(url.hostname).toBe(name);
      expect(url.port).toBe(String(s.environment.HTTP_PORT));
      expect(s.networks).toEqual(services.monitor.networks);
    }
    expect(services.monitor.environment.PUBLIC_URL).toMatch(/^\$\{MONITOR_PUBLIC_URL:-http:\/\/monitor:3000\}$/);
  });

  it('services reach NATS, Redis and Postgres by their compose names and ports, with credentials from secrets', () => {
    for (const s of SERVICES) {
      const env = services[s].environment;
      expect(env.NATS_URL).toBe('nats://nats:4222');
      expect(env.NATS_PASSWORD_FILE).toBe('/run/secrets/nats_password');
      expect(services[s].secrets).toContain('nats_password');
    }
    expect(services['cache-service'].environment.REDIS_URL).toBe('redis://redis:6379');
    for (const s of ['db-proxy', 'monitor']) {
      expect(new URL(services[s].environment.POSTGRES_URL).host).toBe('postgres:5432');
      expect(services[s].secrets).toContain('postgres_password');
    }
    // Each *_FILE points at a secret the service mounts.
    for (const [name, s] of Object.entries(services)) {
      for (const [key, value] of Object.entries((s.environment ?? {}) as Record<string, string>)) {
        if (!/_FILE$/.test(key)) continue;
        const secret = /^\/run\/secrets\/([a-z_]+)$/.exec(value)?.[1];
        expect(`${name} ${key} → ${secret}`).toBe(`${name} ${key} → ${secret && (s.secrets ?? []).includes(secret) ? secret : 'a mounted secret'}`);
      }
    }
  });

  it('the gateway default data source is the demo simulator at its real venue ports and paths', () => {
    const env = services['market-data-gateway'].environment;
    const sim = services['exchange-simulator'];
    const venues = { BINANCE: [9101, '/ws'], COINBASE: [9102, '/'], KRAKEN: [9103, '/v2'], OKX: [9104, '/ws/v5/public'], BYBIT: [9105, '/v5/public/spot'] } as const;
    for (const [venue, [port, path]] of Object.entries(venues)) {
      expect(env[`${venue}_WS_URL`]).toBe(`\${${venue}_WS_URL-ws://exchange-simulator:${port}${path}}`);
      expect(env[`${venue}_REST_URL`]).toBe(`\${${venue}_REST_URL-http://exchange-simulator:${port}}`);
    }
    expect(sim.hostname).toBe('exchange-simulator');
    expect(sim.environment.SIM_HOST).toBe('0.0.0.0');
    // The simulator's venue ports follow its control port (tools/exchange-simulator/src/main.ts).
    expect(read('tools/exchange-simulator/src/main.ts')).toMatch(/basePort \+ 1 \+ i/);
  });

  it('every variable compose sets for a service is one its configuration reads', () => {
    const known = (name: string): string[] => (name === 'exchange-simulator' ? simulatorVariables() : schemaVariables(name as (typeof SERVICES)[number]));
    for (const name of ours) {
      const vars = known(name);
      for (const key of Object.keys(services[name].environment ?? {})) {
        const base = key.replace(/_FILE$/, '');
        expect(`${name}: ${key}`).toBe(`${name}: ${vars.includes(base) ? key : '(not in its schema)'}`);
      }
    }
  });

  it('mounts only configuration files that exist in the repository, read-only', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const v of (s.volumes ?? []) as string[]) {
        if (!v.startsWith('./')) continue;
        const [src, , mode] = v.split(':');
        expect(`${name}: ${src} ${existsSync(join(root, src as string)) ? 'exists' : 'missing'}`).toBe(`${name}: ${src} exists`);
        expect(mode).toBe('ro');
      }
    }
  });

  it('publishes host ports only on 127.0.0.1, except the monitor dashboard', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const p of (s.ports ?? []) as string[]) {
        if (name === 'monitor') continue;
        expect(`${name} ${p}`).toMatch(/^\S+ 127\.0\.0\.1:\d+:\d+$/);
      }
    }
  });
});
