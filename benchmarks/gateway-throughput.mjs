#!/usr/bin/env node
// market-data-gateway throughput and latency.
//
//   node benchmarks/gateway-throughput.mjs [--seconds 60] [--symbols 200] [--rate 250] [--latency-rate 10000] [--skip-live]
//
// (a) Replay throughput of the adapter + book path from memory, per venue with a recorded capture
//     (fixtures/captures), in frames/s and messages/s, against the bare JSON.parse of the same
//     frames measured in the same run. The gateway sources are bundled with esbuild (no nx build).
// (b) One gateway instance (dist/apps/market-data-gateway/main.js, build it first) driven by the
//     exchange simulator (dist/tools/exchange-simulator/main.js) on Binance with `--symbols`
//     symbols × trades/L1/L2: messages/s published, loss (trades against the simulator's ground
//     truth, L2 delta chains by prevSeq), CPU per message and RSS of the gateway, receive → publish
//     percentiles (subscriber arrival − recvTs, which includes the NATS hop: an upper bound), then
//     the same for a bare `ws` → NATS forwarder (one publish per frame, no parsing) as the ceiling.
//     Then a run at --latency-rate messages/s for the p99 target.
// Only 127.0.0.1; every phase is bounded in time; results in benchmarks/results/gateway-throughput.{md,json}.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { build } from 'esbuild';
import { connect } from 'nats';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    symbols: { type: 'string', default: '200' },
    rate: { type: 'string', default: '250' },
    'latency-rate': { type: 'string', default: '10000' },
    'skip-live': { type: 'boolean', default: false },
    child: { type: 'string' },
    url: { type: 'string' },
    subscribe: { type: 'string' },
    prefix: { type: 'string' },
  },
});
const NATS = 'nats://127.0.0.1:4222';

// ---- bare forwarder child: ws frames → NATS, nothing else -------------------------------------
if (values.child === 'forwarder') {
  const { WebSocket } = require('ws');
  const nc = await connect({ servers: NATS });
  const enc = new TextEncoder();
  const subject = `${values.prefix}raw`;
  const ws = new WebSocket(values.url, { perMessageDeflate: false });
  let n = 0;
  ws.on('open', () => {
    const msgs = JSON.parse(values.subscribe);
    msgs.forEach((m, i) => setTimeout(() => ws.send(m), i * 250));
  });
  ws.on('message', (data) => {
    const recv = Math.round((performance.timeOrigin + performance.now()) * 1000);
    n++;
    // recvTs travels in a header-free envelope: `<µs> <frame>`.
    nc.publish(subject, enc.encode(`${recv} ${data.toString()}`));
  });
  process.on('SIGTERM', () => {
    process.stdout.write(`${JSON.stringify({ frames: n, cpu: process.cpuUsage(), rss: process.memoryUsage().rss })}\n`);
    process.exit(0);
  });
  await new Promise(() => undefined);
}

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
const results = { when: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model, loadBefore: load() }, replay: [], live: [] };

// ---- (a) replay throughput from memory -------------------------------------------------------
async function replayPhase() {
  const entry = `
    import { ConnectionContext } from './apps/market-data-gateway/src/app/feeds/connection-context';
    import { SymbolFeed } from './apps/market-data-gateway/src/app/feeds/symbol-feed';
    import { NOOP_METRICS } from './apps/market-data-gateway/src/app/feeds/venue-metrics';
    import { adapterFor } from './apps/market-data-gateway/src/app/venues/venue-registry';
    import { parseWsCapture, recordedResponsesBeside, venueOfUrl } from './apps/market-data-gateway/src/app/replay/capture';
    export { ConnectionContext, SymbolFeed, NOOP_METRICS, adapterFor, parseWsCapture, recordedResponsesBeside, venueOfUrl };
  `;
  const outfile = join(root, 'dist/benchmarks/gateway-replay.cjs');
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    stdin: { contents: entry, resolveDir: root, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile,
    tsconfig: join(root, 'apps/market-data-gateway/tsconfig.app.json'),
    logLevel: 'error',
    external: ['@nestjs/*', 'nats', 'ws', 'prom-client', 'lossless-json', 'cockatiel', 'zod'],
  });
  const gw = require(outfile);
  const dir = join(root, 'fixtures/captures');
  for (const file of readdirSync(dir).filter((f) => f.includes('.ws.'))) {
    const path = join(dir, file);
    const conns = gw.parseWsCapture(readFileSync(path, 'utf8'));
    const venue = gw.venueOfUrl(conns[0].url);
    const adapter = venue && gw.adapterFor(venue);
    if (!adapter) continue;
    const responses = gw.recordedResponsesBeside(path);
    const frames = conns.flatMap((c) => c.frames.map((f) => f.text));
    // Bare JSON.parse of the same frames.
    const bare = timeLoop(() => {
      let x = 0;
      for (const f of frames) x += JSON.parse(f) ? 1 : 0;
      return x;
    });
    let messages = 0;
    const sink = { trade: () => messages++, l1: () => messages++, l2: () => messages++, status: () => messages++ };
    const rest = {
      getJson: ({ url }) => {
        const path = new URL(url).pathname;
        const hit = responses.find((r) => new URL(r.url).pathname === path && new URL(r.url).search.split('&')[0] === new URL(url).search.split('&')[0]);
        return hit ? Promise.resolve(JSON.parse(hit.body)) : Promise.reject(new Error('no recorded response'));
      },
    };
    const runOnce = async () => {
      for (const conn of conns) {
        const symbols = adapter.recordedSymbols(conn.url, conn.sent).map((r) => ({
          symbol: r.native,
          native: r.native,
          channels: r.channels,
          instrument: { symbol: r.native, base: r.native, quote: '', priceDecimals: 0, sizeDecimals: 0 },
        }));
        const feeds = new Map(symbols.map((s) => [s.symbol, new gw.SymbolFeed(venue, s, sink, gw.NOOP_METRICS)]));
        const ctx = new gw.ConnectionContext(venue, { ...adapter.defaults }, rest, feeds, symbols, {
          send: () => undefined,
          rotate: () => undefined,
          warn: () => undefined,
          metrics: gw.NOOP_METRICS,
          bookOptions: { backoff: { initialDelayMs: 1, maxDelayMs: 1 } },
        });
        const session = adapter.openSession(ctx);
        session.onOpen?.();
        let i = 0;
        for (const f of conn.frames) {
          session.onFrame(f.text, i++);
          // Snapshot answers resolve between chunks (as they would between socket reads).
          if (i % 2000 === 0) await new Promise((r) => setImmediate(r));
        }
        session.onClose?.();
        ctx.close();
      }
    };
    await runOnce(); // warm-up
    messages = 0;
    const started = performance.now();
    let loops = 0;
    while (performance.now() - started < 3000) {
      await runOnce();
      loops++;
    }
    const secs = (performance.now() - started) / 1000;
    const row = {
      capture: file,
      venue,
      frames: frames.length,
      framesPerSecond: Math.round((frames.length * loops) / secs),
      messagesPerSecond: Math.round(messages / secs),
      bareJsonParseFramesPerSecond: Math.round(bare),
    };
    row.ratioToBareParse = +(row.framesPerSecond / row.bareJsonParseFramesPerSecond).toFixed(2);
    results.replay.push(row);
    console.log(`replay ${file}: ${row.framesPerSecond} frames/s, ${row.messagesPerSecond} msgs/s; bare JSON.parse ${row.bareJsonParseFramesPerSecond} frames/s (×${row.ratioToBareParse})`);
  }
}

function timeLoop(fn) {
  fn();
  const start = performance.now();
  let frames = 0;
  while (performance.now() - start < 1500) frames += fn();
  return (frames * 1000) / (performance.now() - start);
}

// ---- (b) live: simulator → gateway → NATS ------------------------------------------------------
function start(name, args, env) {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d.toString()));
  child.stderr.on('data', (d) => (out += d.toString()));
  child.output = () => out;
  child.on('error', (err) => console.error(`${name}: ${err.message}`));
  return child;
}
const stop = (child) =>
  new Promise((r) => {
    if (child.exitCode !== null) return r();
    child.once('exit', r);
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 8000).unref();
  });
async function until(check, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
const get = async (url) => (await fetch(url)).json();
const procStat = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { cpuTicks: Number(f[11]) + Number(f[12]), rssKb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) };
};

async function livePhase(label, symbolsCount, ratePerSymbol, seconds) {
  const symbols = Array.from({ length: symbolsCount }, (_, i) => `S${String(i).padStart(3, '0')}-USDT`);
  const prefix = `bench${Date.now().toString(36)}.`;
  const simPort = 19300;
  const sim = start('simulator', ['dist/tools/exchange-simulator/main.js', '--port', String(simPort), '--rate', String(ratePerSymbol), '--symbols', symbols.join(',')], {
    SIM_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  });
  await until(() => get(`http://127.0.0.1:${simPort}/health`), 20_000, 'the simulator');
  const venues = await get(`http://127.0.0.1:${simPort}/api/venues`);
  const bn = venues.venues.binance;
  const nc = await connect({ servers: NATS });
  let count = 0;
  let chainBreaks = 0;
  const lat = [];
  const lastSeq = new Map();
  const tradeIds = new Map();
  const dec = new TextDecoder();
  let measuring = false;
  const sub = nc.subscribe(`${prefix}md.>`, {
    callback: (_e, m) => {
      const now = Math.round((performance.timeOrigin + performance.now()) * 1000);
      const body = JSON.parse(dec.decode(m.data));
      if (body.state) return;
      if (measuring) {
        count++;
        if (body.recvTs && (count & 7) === 0) lat.push(now - body.recvTs);
      }
      if (body.id !== undefined) {
        const set = tradeIds.get(body.symbol) ?? new Set();
        set.add(body.id);
        tradeIds.set(body.symbol, set);
      } else if (body.bids && body.seq !== undefined) {
        if (!body.snapshot && lastSeq.has(body.symbol) && body.prevSeq !== lastSeq.get(body.symbol)) chainBreaks++;
        lastSeq.set(body.symbol, body.seq);
      }
    },
  });
  const gwPort = 19310;
  const gw = start('gateway', ['dist/apps/market-data-gateway/main.js'], {
    HTTP_PORT: String(gwPort),
    NATS_URL: NATS,
    NATS_SUBJECT_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    GATEWAY_FEEDS: `binance:${symbols.join(',')}`,
    BINANCE_WS_URL: bn.ws,
    BINANCE_REST_URL: bn.rest,
    BINANCE_BOOK_DEPTH: '100',
  });
  const row = { label, symbols: symbolsCount, simulatorRatePerSymbol: ratePerSymbol, seconds };
  try {
    await until(async () => {
      const f = await get(`http://127.0.0.1:${gwPort}/v1/feeds`);
      return f.venues[0]?.symbols.length === symbolsCount && f.venues[0].symbols.every((s) => s.state === 'live');
    }, 120_000, 'every book live');
    await new Promise((r) => setTimeout(r, 2000));
    const cpu0 = procStat(gw.pid);
    const t0 = Date.now();
    measuring = true;
    let peakRss = 0;
    while (Date.now() - t0 < seconds * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      peakRss = Math.max(peakRss, procStat(gw.pid).rssKb);
    }
    measuring = false;
    const elapsed = (Date.now() - t0) / 1000;
    const cpu1 = procStat(gw.pid);
    // Stop the markets, then compare the trades with the simulator's ground truth.
    await fetch(`http://127.0.0.1:${simPort}/api/rates`, { method: 'POST', body: JSON.stringify({ rate: 0 }) });
    await new Promise((r) => setTimeout(r, 3000));
    const truth = (await get(`http://127.0.0.1:${simPort}/api/ground-truth`)).venues.binance;
    let sent = 0;
    let received = 0;
    for (const s of symbols) {
      sent += truth[s]?.tradesSent ?? 0;
      received += tradeIds.get(s)?.size ?? 0;
    }
    const clk = 100; // USER_HZ
    const cpuSeconds = (cpu1.cpuTicks - cpu0.cpuTicks) / clk;
    lat.sort((a, b) => a - b);
    Object.assign(row, {
      messagesPerSecond: Math.round(count / elapsed),
      tradesSent: sent,
      tradesPublished: received,
      tradesLost: sent - received,
      l2ChainBreaks: chainBreaks,
      gatewayCpuPercent: Math.round((cpuSeconds / elapsed) * 100),
      cpuMicrosecondsPerMessage: +((cpuSeconds * 1e6) / Math.max(1, count)).toFixed(1),
      gatewayPeakRssMb: Math.round(peakRss / 1024),
      receiveToSubscriberMs: { p50: percentile(lat, 50) / 1000, p99: percentile(lat, 99) / 1000, p999: percentile(lat, 99.9) / 1000 },
      load: load(),
    });
    console.log(`${label}: ${JSON.stringify(row)}`);

    // The ceiling: a bare ws → NATS forwarder on the same streams, markets running again.
    const streams = symbols.flatMap((s) => {
      const l = s.replace('-', '').toLowerCase();
      return [`${l}@trade`, `${l}@bookTicker`, `${l}@depth@100ms`];
    });
    const subs = [];
    for (let i = 0; i < streams.length; i += 100) subs.push(JSON.stringify({ method: 'SUBSCRIBE', params: streams.slice(i, i + 100), id: i }));
    await stop(gw);
    await fetch(`http://127.0.0.1:${simPort}/api/rates`, { method: 'POST', body: JSON.stringify({ rate: ratePerSymbol }) });
    let raw = 0;
    const rawLat = [];
    const rawSub = nc.subscribe(`${prefix}raw`, {
      callback: (_e, m) => {
        const now = Math.round((performance.timeOrigin + performance.now()) * 1000);
        raw++;
        if ((raw & 7) === 0) {
          const text = dec.decode(m.data);
          rawLat.push(now - Number(text.slice(0, text.indexOf(' '))));
        }
      },
    });
    const fwd = start('forwarder', [fileURLToPath(import.meta.url), '--child', 'forwarder', '--url', bn.ws.replace(/\/ws$/, '/stream'), '--subscribe', JSON.stringify(subs), '--prefix', prefix], {});
    await new Promise((r) => setTimeout(r, 2000 + subs.length * 250));
    const f0 = procStat(fwd.pid);
    raw = 0;
    const r0 = Date.now();
    const fSeconds = Math.min(seconds, 20);
    await new Promise((r) => setTimeout(r, fSeconds * 1000));
    const f1 = procStat(fwd.pid);
    const rElapsed = (Date.now() - r0) / 1000;
    await stop(fwd);
    rawSub.unsubscribe();
    rawLat.sort((a, b) => a - b);
    row.bareForwarder = {
      seconds: fSeconds,
      framesPerSecond: Math.round(raw / rElapsed),
      cpuPercent: Math.round((((f1.cpuTicks - f0.cpuTicks) / clk) / rElapsed) * 100),
      cpuMicrosecondsPerFrame: +((((f1.cpuTicks - f0.cpuTicks) / clk) * 1e6) / Math.max(1, raw)).toFixed(1),
      receiveToSubscriberMs: { p50: percentile(rawLat, 50) / 1000, p99: percentile(rawLat, 99) / 1000, p999: percentile(rawLat, 99.9) / 1000 },
    };
    console.log(`${label} bare forwarder: ${JSON.stringify(row.bareForwarder)}`);
  } catch (err) {
    row.error = err.message;
    console.error(`${label}: ${err.message}\n${gw.output().slice(-2000)}`);
  } finally {
    sub.unsubscribe();
    await stop(gw);
    await stop(sim);
    await nc.drain();
  }
  results.live.push(row);
}

console.log(`gateway benchmark on ${cpus().length} cores, load ${load()}`);
await replayPhase();
if (!values['skip-live']) {
  const symbols = Number(values.symbols);
  // Simulator rate is market events per second per symbol; each event makes about one trade, one
  // diff change (batched per 100 ms per symbol) and a bookTicker when the top moves.
  await livePhase('throughput', symbols, Number(values.rate), Number(values.seconds));
  const latencyRate = Math.max(1, Math.round(Number(values['latency-rate']) / symbols / 2));
  await livePhase('latency', symbols, latencyRate, Math.min(Number(values.seconds), 30));
}
results.machine.loadAfter = load();
mkdirSync(join(root, 'benchmarks/results'), { recursive: true });
writeFileSync(join(root, 'benchmarks/results/gateway-throughput.json'), `${JSON.stringify(results, null, 2)}\n`);
const md = [
  '# market-data-gateway benchmark',
  '',
  `\`node benchmarks/gateway-throughput.mjs ${process.argv.slice(2).join(' ')}\` — ${results.when}, ${results.machine.cpus} cores (${results.machine.model}), load average before ${results.machine.loadBefore}, after ${results.machine.loadAfter} (shared machine: other engineers' builds and tests ran meanwhile).`,
  '',
  '## (a) Replay from memory: adapter + book path vs bare JSON.parse',
  '',
  '| capture | venue | frames | frames/s | messages/s | bare JSON.parse frames/s | ratio |',
  '|---|---|---|---|---|---|---|',
  ...results.replay.map((r) => `| ${r.capture} | ${r.venue} | ${r.frames} | ${r.framesPerSecond} | ${r.messagesPerSecond} | ${r.bareJsonParseFramesPerSecond} | ${r.ratioToBareParse} |`),
  '',
  '## (b) One gateway driven by the simulator (Binance, trades + L1 + L2)',
  '',
  '| run | symbols | sim events/s/symbol | s | msgs/s published | trades sent / published / lost | L2 chain breaks | gateway CPU % | CPU µs/msg | peak RSS MB | recv→subscriber p50 / p99 / p99.9 ms | bare forwarder frames/s | forwarder CPU µs/frame | forwarder p50 / p99 / p99.9 ms |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...results.live.map((r) =>
    r.error
      ? `| ${r.label} | ${r.symbols} | ${r.simulatorRatePerSymbol} | ${r.seconds} | error: ${r.error} |||||||||`
      : `| ${r.label} | ${r.symbols} | ${r.simulatorRatePerSymbol} | ${r.seconds} | ${r.messagesPerSecond} | ${r.tradesSent} / ${r.tradesPublished} / ${r.tradesLost} | ${r.l2ChainBreaks} | ${r.gatewayCpuPercent} | ${r.cpuMicrosecondsPerMessage} | ${r.gatewayPeakRssMb} | ${r.receiveToSubscriberMs.p50} / ${r.receiveToSubscriberMs.p99} / ${r.receiveToSubscriberMs.p999} | ${r.bareForwarder?.framesPerSecond} | ${r.bareForwarder?.cpuMicrosecondsPerFrame} | ${r.bareForwarder?.receiveToSubscriberMs.p50} / ${r.bareForwarder?.receiveToSubscriberMs.p99} / ${r.bareForwarder?.receiveToSubscriberMs.p999} |`,
  ),
  '',
  'Latency is measured from the gateway\'s `recvTs` (frame received) to arrival at a NATS subscriber in the benchmark process: it includes the NATS hop and the subscriber\'s own queueing on the same two cores, so it is an upper bound of receive → publish. Loss: trades against the simulator\'s ground truth (`tradesSent`), L2 deltas whose `prevSeq` is not the previous `seq`.',
  '',
];
writeFileSync(join(root, 'benchmarks/results/gateway-throughput.md'), md.join('\n'));
console.log('wrote benchmarks/results/gateway-throughput.md and .json');
process.exit(0);
