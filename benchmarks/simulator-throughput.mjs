#!/usr/bin/env node
// Exchange simulator throughput: how many venue frames (and market events) per second the
// simulator delivers to clients over loopback, for both traffic profiles (`realistic`: each
// venue's own batching cadence; `per-event`: one frame per market event), against a baseline
// measured in the same run (a bare `ws` server pushing one pre-encoded frame in a loop: the
// ceiling of WebSocket on this machine).
//
//   npx nx build exchange-simulator && node benchmarks/simulator-throughput.mjs [--seconds 4] [--symbols 200] [--rate 300]
//
// A last phase runs the gateway benchmark's load: one venue (Binance, realistic profile) with
// `--symbols` markets at `--rate` events/s each and one client subscribed to depth@100ms + trade +
// bookTicker of every symbol; it reports the simulator's CPU time per event and per frame (from
// /proc) next to the baseline's CPU time per frame.
//
// Traffic stays on 127.0.0.1; every phase is bounded in time (about 45 s in all with the
// defaults) and the processes stop by themselves. Run it on an otherwise idle machine.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import WebSocket, { WebSocketServer } from 'ws';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    symbols: { type: 'string', default: '200' },
    rate: { type: 'string', default: '300' },
    child: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
/** CPU seconds (user + system) a process has used so far. */
const cpuSeconds = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

// Baseline server runs in a child process (like the simulator), so client and server use separate cores.
if (values.child === 'baseline') {
  const frame = JSON.stringify({
    e: 'depthUpdate',
    E: Date.now(),
    s: 'BTCUSDT',
    U: 1,
    u: 1,
    b: [['60000.1', '0.52145']],
    a: [['60000.3', '1.20000']],
  });
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('listening', () => process.stdout.write(`${wss.address().port}\n`));
  wss.on('connection', (ws) => {
    const pump = () => {
      if (ws.readyState !== ws.OPEN) return;
      for (let i = 0; i < 2000 && ws.bufferedAmount < 4 * 1024 * 1024; i++) ws.send(frame);
      setImmediate(pump);
    };
    pump();
  });
  setTimeout(() => process.exit(0), (seconds + 10) * 1000);
} else {
  await main();
}

function startChild(args) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const first = new Promise((resolve) => child.stdout.once('data', (d) => resolve(d.toString())));
  return { child, first };
}

async function count(urls, subscribe, ms, { warmupMs = 1000, pid } = {}) {
  let frames = 0;
  let bytes = 0;
  let closed = 0;
  const sockets = await Promise.all(
    urls.map(
      (url, i) =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(url, { perMessageDeflate: false });
          ws.on('open', () => {
            subscribe[i]?.(ws);
            resolve(ws);
          });
          ws.on('error', reject);
          ws.on('close', () => closed++);
          ws.on('message', (d) => {
            frames++;
            bytes += d.length;
          });
        }),
    ),
  );
  await new Promise((r) => setTimeout(r, warmupMs));
  const f0 = frames;
  const b0 = bytes;
  const c0 = pid ? cpuSeconds(pid) : 0;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, ms));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const result = {
    framesPerSecond: Math.round((frames - f0) / secs),
    mbPerSecond: Math.round(((bytes - b0) / secs / 1e6) * 10) / 10,
    clientsClosed: closed,
    ...(pid ? { serverCpuSeconds: cpuSeconds(pid) - c0, seconds: secs, frames: frames - f0 } : {}),
  };
  for (const ws of sockets) ws.terminate();
  return result;
}

async function main() {
  const ms = seconds * 1000;
  // Baseline
  const base = startChild([fileURLToPath(import.meta.url), '--child', 'baseline', '--seconds', String(seconds)]);
  const basePort = Number((await base.first).trim());
  const baseRun = await count([`ws://127.0.0.1:${basePort}`], [], ms, { pid: base.child.pid });
  base.child.kill();
  const { serverCpuSeconds: baseCpu, seconds: _s, frames: baseFrames, ...baseline } = baseRun;
  baseline.cpuMicrosecondsPerFrame = round2((baseCpu * 1e6) / baseFrames);

  const results = {};
  for (const profile of ['realistic', 'per-event']) results[profile] = await runProfile(profile, ms);
  // The gateway benchmark's load, then 2.5 × that rate (headroom).
  const wide = [];
  for (const rate of [Number(values.rate), Number(values.rate) * 2.5]) {
    const w = await runWide(Number(values.symbols), rate, ms);
    w.cpuPerFrameToBaseline = round2(w.simulatorCpuMicrosecondsPerFrame / baseline.cpuMicrosecondsPerFrame);
    wide.push(w);
  }

  const best = (profile) => Math.max(...Object.values(results[profile]).map((r) => r.framesPerSecond));
  const report = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      node: process.version,
      loadAverage: loadavg().map((l) => Math.round(l * 10) / 10),
    },
    seconds,
    baseline: { what: 'bare ws server pushing one pre-encoded frame to one client', ...baseline },
    simulator: Object.fromEntries(
      Object.entries(results).map(([profile, byRate]) => [
        profile,
        Object.fromEntries(Object.entries(byRate).map(([k, v]) => [`rate ${k}/s per market (10 markets)`, v])),
      ]),
    ),
    [`binance ${values.symbols} symbols, realistic, depth@100ms + trade + bookTicker`]: wide,
    bestFramesPerSecond: { realistic: best('realistic'), 'per-event': best('per-event') },
    ratioToBaseline: {
      realistic: Math.round((best('realistic') / baseline.framesPerSecond) * 100) / 100,
      'per-event': Math.round((best('per-event') / baseline.framesPerSecond) * 100) / 100,
    },
  };
  mkdirSync(join(root, 'benchmarks/results'), { recursive: true });
  writeFileSync(join(root, 'benchmarks/results/simulator-throughput.json'), `${JSON.stringify(report, null, 2)}\n`);
  const lines = [
    `# Exchange simulator throughput (${report.date})`,
    '',
    `Machine: ${report.machine.cpus} cores, ${report.machine.model}, Node ${report.machine.node}, load average ${report.machine.loadAverage.join(' / ')} at the end. Each phase ${seconds} s after 1 s warm-up (Binance × ${values.symbols}: after the subscriptions); simulator and client in separate processes on 127.0.0.1. Command: \`npx nx build exchange-simulator && node benchmarks/simulator-throughput.mjs\`.`,
    '',
    'Clients: one per venue, subscribed to the books and trades of BTC-USDT and ETH-USDT (Coinbase: the public `level2_batch` and `matches`). `realistic` batches as each venue does (Binance depth every 100 ms, OKX/Bybit/Coinbase cadences, several trades per frame); `per-event` sends one frame per market event and channel. Events/s: market events generated (and delivered, batched or not) per second; the target is the rate × 10 markets.',
    '',
    `Binance × ${values.symbols} rows: the gateway benchmark\'s load: only Binance, ${values.symbols} markets, one client subscribed to depth@100ms + trade + bookTicker of every symbol; target = rate × ${values.symbols}.`,
    '',
    '| run | frames/s received | MB/s | market events/s (target) | clients closed |',
    '|---|---:|---:|---:|---:|',
    `| baseline: bare ws, one pre-encoded frame (${baseline.cpuMicrosecondsPerFrame} µs CPU/frame) | ${baseline.framesPerSecond} | ${baseline.mbPerSecond} | – | – |`,
    ...Object.entries(results).flatMap(([profile, byRate]) =>
      Object.entries(byRate).map(
        ([rate, r]) =>
          `| simulator ${profile}, 5 venues × 2 symbols, ${rate} events/s per market | ${r.framesPerSecond} | ${r.mbPerSecond} | ${r.eventsPerSecond} (${r.targetEventsPerSecond}) | ${r.clientsClosed} |`,
      ),
    ),
    ...wide.map(
      (w) =>
        `| simulator realistic, Binance × ${values.symbols} symbols, ${w.ratePerMarket} events/s per market (depth@100ms + trade + bookTicker, one client) | ${w.framesPerSecond} | ${w.mbPerSecond} | ${w.eventsPerSecond} (${w.targetEventsPerSecond}) | ${w.clientsClosed} |`,
    ),
    '',
    ...wide.map(
      (w) =>
        `Binance × ${values.symbols} at ${w.ratePerMarket}/s: simulator CPU ${w.simulatorCpuPercent} % of a core, ${w.simulatorCpuMicrosecondsPerEvent} µs per market event, ${w.simulatorCpuMicrosecondsPerFrame} µs per frame delivered (${w.cpuPerFrameToBaseline} × the baseline's ${baseline.cpuMicrosecondsPerFrame} µs per frame); events behind (late timer past the catch-up window): ${w.eventsBehind}; slow-consumer disconnects: ${w.slowConsumerDisconnects}.`,
    ),
    '',
    `Best: realistic ${report.bestFramesPerSecond.realistic} frames/s (${report.ratioToBaseline.realistic} × baseline), per-event ${report.bestFramesPerSecond['per-event']} frames/s (${report.ratioToBaseline['per-event']} × baseline).`,
    '',
  ];
  writeFileSync(join(root, 'benchmarks/results/simulator-throughput.md'), lines.join('\n'));
  console.log(lines.join('\n'));
  process.exit(0);
}

/** One simulator process with the given profile; every rate in turn. */
async function runProfile(profile, ms) {
  // Simulator: all five venues, two symbols, every market at a rate above what can be delivered.
  const port = 19300 + Math.floor(Math.random() * 500);
  const sim = startChild([
    join(root, 'dist/tools/exchange-simulator/main.js'),
    '--port',
    String(port),
    '--rate',
    '0',
    '--symbols',
    'BTC-USDT,ETH-USDT',
    '--profile',
    profile,
  ]);
  await sim.first;
  const control = `http://127.0.0.1:${port}`;
  const venues = (await (await fetch(`${control}/api/venues`)).json()).venues;
  const subs = {
    binance: [
      `${venues.binance.rest.replace('http', 'ws')}/stream?streams=btcusdt@depth@100ms/btcusdt@trade/btcusdt@bookTicker/ethusdt@depth@100ms/ethusdt@trade/ethusdt@bookTicker`,
      () => undefined,
    ],
    coinbase: [
      venues.coinbase.ws,
      (ws) => ws.send(JSON.stringify({ type: 'subscribe', product_ids: ['BTC-USDT', 'ETH-USDT'], channels: ['level2_batch', 'matches'] })),
    ],
    kraken: [
      venues.kraken.ws,
      (ws) =>
        ws.send(JSON.stringify({ method: 'subscribe', params: { channel: 'book', symbol: ['BTC/USDT', 'ETH/USDT'], depth: 10 } })) ||
        ws.send(JSON.stringify({ method: 'subscribe', params: { channel: 'trade', symbol: ['BTC/USDT', 'ETH/USDT'] } })),
    ],
    okx: [
      venues.okx.ws,
      (ws) =>
        ws.send(
          JSON.stringify({
            op: 'subscribe',
            args: ['BTC-USDT', 'ETH-USDT'].flatMap((instId) => [
              { channel: 'books', instId },
              { channel: 'trades', instId },
            ]),
          }),
        ),
    ],
    bybit: [
      venues.bybit.ws,
      (ws) =>
        ws.send(
          JSON.stringify({
            op: 'subscribe',
            args: ['orderbook.50.BTCUSDT', 'orderbook.50.ETHUSDT', 'publicTrade.BTCUSDT', 'publicTrade.ETHUSDT'],
          }),
        ),
    ],
  };
  const results = {};
  for (const rate of [2000, 20000]) {
    await fetch(`${control}/api/rates`, { method: 'POST', body: JSON.stringify({ rate }) });
    const before = (await (await fetch(`${control}/api/ground-truth`)).json()).eventsGenerated;
    const t0 = Date.now();
    const r = await count(
      Object.values(subs).map((s) => s[0]),
      Object.values(subs).map((s) => s[1]),
      ms,
    );
    const after = (await (await fetch(`${control}/api/ground-truth`)).json()).eventsGenerated;
    results[rate] = { ...r, eventsPerSecond: Math.round((after - before) / ((Date.now() - t0) / 1000)), targetEventsPerSecond: rate * 10 };
    await fetch(`${control}/api/rates`, { method: 'POST', body: JSON.stringify({ rate: 0 }) });
    await new Promise((res) => setTimeout(res, 500));
  }
  sim.child.kill('SIGTERM');
  return results;
}

/**
 * The gateway benchmark's load: one simulator with only Binance, `symbols` markets at `rate`
 * events/s (realistic profile), one client on depth@100ms + trade + bookTicker of every symbol
 * (SUBSCRIBE in groups of 100, 4 a second: the venue's incoming-message limit is 5).
 */
async function runWide(symbols, rate, ms) {
  const names = Array.from({ length: symbols }, (_, i) => `S${String(i).padStart(3, '0')}-USDT`);
  const scenario = join(root, 'dist/benchmarks/simulator-wide-scenario.json');
  mkdirSync(dirname(scenario), { recursive: true });
  writeFileSync(scenario, JSON.stringify({ venues: ['binance'], symbols: names, rate, profile: 'realistic' }));
  const port = 19300 + Math.floor(Math.random() * 500);
  const sim = startChild([join(root, 'dist/tools/exchange-simulator/main.js'), '--port', String(port), '--scenario', scenario]);
  await sim.first;
  const control = `http://127.0.0.1:${port}`;
  const venues = (await (await fetch(`${control}/api/venues`)).json()).venues;
  const streams = names.flatMap((s) => {
    const l = s.replace('-', '').toLowerCase();
    return [`${l}@depth@100ms`, `${l}@trade`, `${l}@bookTicker`];
  });
  const subs = [];
  for (let i = 0; i < streams.length; i += 100)
    subs.push(JSON.stringify({ method: 'SUBSCRIBE', params: streams.slice(i, i + 100), id: i }));
  const truth = async () => ({ ...(await (await fetch(`${control}/api/ground-truth`)).json()), at: Date.now() });
  const warmupMs = 1500 + subs.length * 250;
  let before;
  setTimeout(async () => (before = await truth()), warmupMs - 50);
  const r = await count(
    [`${venues.binance.rest.replace('http', 'ws')}/stream`],
    [(ws) => subs.forEach((m, i) => setTimeout(() => ws.send(m), i * 250))],
    ms,
    { warmupMs, pid: sim.child.pid },
  );
  const after = await truth();
  const secs = (after.at - before.at) / 1000;
  const events = after.eventsGenerated - before.eventsGenerated;
  sim.child.kill('SIGTERM');
  const { serverCpuSeconds, seconds: s, frames, ...rest } = r;
  return {
    ...rest,
    ratePerMarket: rate,
    eventsPerSecond: Math.round(events / secs),
    targetEventsPerSecond: symbols * rate,
    simulatorCpuPercent: Math.round((serverCpuSeconds / s) * 100),
    simulatorCpuMicrosecondsPerEvent: round2((serverCpuSeconds * 1e6) / ((events * s) / secs)),
    simulatorCpuMicrosecondsPerFrame: round2((serverCpuSeconds * 1e6) / frames),
    eventsBehind: after.eventsBehind - before.eventsBehind,
    slowConsumerDisconnects: after.disconnects?.binance?.slow_consumer ?? 0,
  };
}

function round2(x) {
  return Math.round(x * 100) / 100;
}
