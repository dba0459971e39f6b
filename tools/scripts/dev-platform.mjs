#!/usr/bin/env node
// Runs the whole platform locally: builds the four services and the exchange simulator, starts
// them against NATS/Redis/Postgres on this machine (the simulator is the default data source,
// so it works offline), prefixes their logs, and stops everything on Ctrl-C.
//
//   npm start                 build + run everything
//   npm start -- --no-build   run the last build
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

const colors = [36, 33, 35, 32, 34];
const children = [];
let stopping = false;

async function main() {
  for (const [name, url] of infra) {
    if (!(await reachable(url))) {
      console.error(`${name} is not reachable at ${url}. Start it (see README: "Infrastructure") or set ${name.toUpperCase()}_URL.`);
      process.exit(1);
    }
  }
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
    console.log('Ctrl-C stops everything.\n');
  }, 3000);
}

function stop() {
  if (stopping) return;
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => process.exit(0), 8000).unref();
  Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.on('exit', r))))).then(() => process.exit(0));
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
main().catch((err) => {
  console.error(err);
  stop();
});
