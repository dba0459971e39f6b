#!/usr/bin/env node
// Runs the whole platform locally: builds the four services and the exchange simulator, starts
// them against NATS/Redis/Postgres on this machine (the simulator is the default data source,
// so it works offline), prefixes their logs, and stops everything on Ctrl-C.
// NATS, Redis or Postgres that is not running on its local default port is started from the
// installed binaries (data under .local/, stopped with the platform); `sudo bash .ci/servers.sh`
// installs them on Debian/Ubuntu.
//
//   npm start                 build + run everything
//   npm start -- --no-build   run the last build
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = new Set(process.argv.slice(2));

const infra = [
  ['NATS', process.env.NATS_URL ?? 'nats://127.0.0.1:4222'],
  ['Redis', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'],
  ['Postgres', process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'],
];

// The simulator serves every venue on its own port with the venue's real paths; the gateway carries
// trades, L1 and L2 of the simulator's symbols on every venue it has an adapter for (the registry
// decides: a venue without one is logged and skipped).
const SIM_SYMBOLS = process.env.SIM_SYMBOLS ?? 'BTC-USDT,ETH-USDT';
const SIM_VENUES = {
  binance: { port: 9101, ws: '/ws' },
  coinbase: { port: 9102, ws: '/' },
  kraken: { port: 9103, ws: '/v2' },
  okx: { port: 9104, ws: '/ws/v5/public' },
  bybit: { port: 9105, ws: '/v5/public/spot' },
};
const gatewayEnv = {
  GATEWAY_FEEDS: Object.keys(SIM_VENUES)
    .map((v) => `${v}:${SIM_SYMBOLS}`)
    .join(';'),
  GATEWAY_CHANNELS: 'trades,l1,l2',
  ...Object.fromEntries(
    Object.entries(SIM_VENUES).flatMap(([v, { port, ws }]) => [
      [`${v.toUpperCase()}_WS_URL`, `ws://127.0.0.1:${port}${ws}`],
      [`${v.toUpperCase()}_REST_URL`, `http://127.0.0.1:${port}`],
    ]),
  ),
};

const services = [
  { name: 'exchange-simulator', main: 'dist/tools/exchange-simulator/main.js', port: 9100, health: '/health', env: { SIM_SYMBOLS } },
  {
    name: 'market-data-gateway',
    main: 'dist/apps/market-data-gateway/main.js',
    port: 3001,
    health: '/health/readiness',
    // Explicit settings of the caller (GATEWAY_FEEDS=…) win over the simulator wiring.
    env: Object.fromEntries(Object.entries(gatewayEnv).filter(([k]) => process.env[k] === undefined)),
  },
  { name: 'cache-service', main: 'dist/apps/cache-service/main.js', port: 3002, health: '/health/readiness', env: {} },
  { name: 'db-proxy', main: 'dist/apps/db-proxy/main.js', port: 3003, health: '/health/readiness', env: {} },
  { name: 'monitor', main: 'dist/apps/monitor/main.js', port: 3000, health: '/health/readiness', env: {} },
];

function reachable(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function findOnPath(command) {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, command)));
}

function binary(command) {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin'];
  const pg = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .sort()
        .reverse()
        .map((v) => `/usr/lib/postgresql/${v}/bin`)
    : [];
  return [...dirs, ...pg].map((d) => join(d, command)).find((f) => existsSync(f));
}

const isLocal = (url) => ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
const local = join(root, '.local');

/** Starts a missing local server from its installed binary; returns the child, or a reason it cannot. */
function startServer(name, url) {
  const port = new URL(url).port;
  const asPostgres = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  if (name === 'NATS') {
    const bin = binary('nats-server');
    if (!bin) return 'nats-server is not installed';
    mkdirSync(join(local, 'nats'), { recursive: true });
    return spawn(bin, ['-a', '127.0.0.1', '-p', port || '4222', '-js', '-sd', join(local, 'nats')], { stdio: 'ignore' });
  }
  if (name === 'Redis') {
    const bin = binary('redis-server');
    if (!bin) return 'redis-server is not installed';
    return spawn(bin, ['--bind', '127.0.0.1', '--port', port || '6379', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  }
  const initdb = binary('initdb');
  const postgres = binary('postgres');
  if (!initdb || !postgres) return 'the PostgreSQL server (initdb, postgres) is not installed';
  const data = join(local, 'postgres');
  if (!existsSync(join(data, 'PG_VERSION'))) {
    mkdirSync(data, { recursive: true });
    if (asPostgres.length)
      chownSync(data, Number(spawnSync('id', ['-u', 'postgres']).stdout), Number(spawnSync('id', ['-g', 'postgres']).stdout));
    const r = spawnSync(
      asPostgres[0] ?? initdb,
      [...asPostgres.slice(1), ...(asPostgres.length ? [initdb] : []), '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8'],
      {
        stdio: 'ignore',
      },
    );
    if (r.status !== 0) return `initdb failed for ${data}`;
  }
  const cmd = [...asPostgres, postgres, '-D', data, '-p', port || '5432', '-c', 'listen_addresses=127.0.0.1', '-k', data];
  return spawn(cmd[0], cmd.slice(1), { stdio: 'ignore' });
}

async function ensureInfra() {
  for (const [name, url] of infra) {
    if (await reachable(url)) continue;
    const how = `Install and start it with "sudo bash .ci/servers.sh" (Debian/Ubuntu), or set ${name.toUpperCase()}_URL.`;
    if (!isLocal(url)) {
      console.error(`${name} is not reachable at ${url}. ${how}`);
      process.exit(1);
    }
    const child = startServer(name, url);
    if (typeof child === 'string') {
      console.error(`${name} is not reachable at ${url} and cannot be started here: ${child}. ${how}`);
      process.exit(1);
    }
    servers.push(child);
    console.log(`${name} was not running: started it on ${url} (data in .local/, stopped with the platform)`);
    const deadline = Date.now() + 30_000;
    while (!(await reachable(url))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        console.error(`${name} did not come up on ${url}. ${how}`);
        stop();
        return false;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return true;
}

const colors = [36, 33, 35, 32, 34];
const children = [];
/** Servers this script started (stopped last, after the services). */
const servers = [];
let stopping = false;

async function main() {
  if (!(await ensureInfra())) return;
  if (!args.has('--no-build')) {
    const projects = services.map((s) => s.name).filter((n) => existsSync(join(root, n === 'exchange-simulator' ? 'tools' : 'apps', n)));
    const r = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '-p', ...projects], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, NX_DAEMON: 'false' },
    });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  services.forEach((svc, i) => {
    const main = join(root, svc.main);
    if (!existsSync(main)) {
      console.error(`[${svc.name}] not built (${svc.main} missing); skipping`);
      return;
    }
    const child = spawn(process.execPath, [main], {
      cwd: root,
      env: { LOG_PRETTY: 'true', ...process.env, HTTP_PORT: String(svc.port), ...svc.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tag = `\x1b[${colors[i % colors.length]}m${svc.name.padEnd(20)}\x1b[0m|`;
    const pipe = (stream) => {
      let buf = '';
      stream.on('data', (d) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const line of lines) process.stdout.write(`${tag} ${line}\n`);
      });
    };
    pipe(child.stdout);
    pipe(child.stderr);
    child.on('exit', (code) => {
      if (!stopping) console.error(`${tag} exited with code ${code}`);
    });
    children.push(child);
  });
  setTimeout(() => {
    console.log('\nCryptoScalp is running:');
    for (const s of services) console.log(`  ${s.name.padEnd(20)} http://127.0.0.1:${s.port}${s.health}`);
    console.log('  instances            http://127.0.0.1:3000/api/instances');
    console.log('  gateway feeds        http://127.0.0.1:3001/v1/feeds   (book: /v1/book/binance/BTC-USDT?depth=5)');
    const prefix = process.env.NATS_SUBJECT_PREFIX ?? '';
    console.log(`\nLive normalized market data on NATS (${infra[0][1]}):`);
    if (findOnPath('nats')) console.log(`  nats sub '${prefix}md.>'`);
    else
      console.log(
        `  node -e "const {connect}=require('nats');connect({servers:'${infra[0][1]}'}).then(async nc=>{for await (const m of nc.subscribe('${prefix}md.>'))console.log(m.subject,new TextDecoder().decode(m.data))})"`,
      );
    console.log('\nDashboard: http://127.0.0.1:3000/');
    console.log('Ctrl-C stops everything.\n');
  }, 3000);
}

function stop() {
  if (stopping) return;
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  const exited = (c) => new Promise((r) => (c.exitCode !== null ? r() : c.on('exit', r)));
  const stopServers = () => {
    for (const s of servers) s.kill('SIGTERM');
    return Promise.all(servers.map(exited));
  };
  // A service that does not finish its graceful shutdown in time is killed, never left behind.
  setTimeout(() => {
    for (const c of [...children, ...servers]) if (c.exitCode === null) c.kill('SIGKILL');
    process.exit(0);
  }, 12_000).unref();
  Promise.all(children.map(exited))
    .then(stopServers)
    .then(() => process.exit(0));
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
main().catch((err) => {
  console.error(err);
  stop();
});
