#!/usr/bin/env node
// cache-service benchmark: updates applied into Redis per second (with the conflation ratio), read
// latency over HTTP at a fixed rate and over NATS request-reply, and the near-cache hit latency in
// process — each next to a baseline measured in the same run (raw ioredis GET and pipelined SET,
// redis-benchmark when installed, a bare HTTP server and a bare NATS responder, a plain Map).
//
//   npx nx build cache-service && node benchmarks/cache-service.mjs [--seconds 5] [--rate 60000] [--http-rate 5000]
//
// Needs the local NATS (4222) and Redis (6379). Traffic stays on 127.0.0.1; every phase is bounded
// in time; keys and subjects live in a fresh namespace, deleted at the end.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { buildSync } from 'esbuild';
import Redis from 'ioredis';
import { connect } from 'nats';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rate: { type: 'string', default: '60000' },
    'http-rate': { type: 'string', default: '5000' },
    child: { type: 'string' },
    // Diagnostics: run only some phases (baselines,ingest,http,nats) and/or profile the service
    // (`--cpu-prof <dir>`: node --cpu-prof, written when the service exits).
    phases: { type: 'string', default: 'baselines,ingest,http,nats' },
    'cpu-prof': { type: 'string' },
    // another build of the service (A/B runs against a copy of an older dist/apps/cache-service/main.js)
    service: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const phases = new Set(values.phases.split(','));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- baseline servers run in a child process (like the service), so client and server use separate cores
if (values.child === 'http') {
  const body = JSON.stringify({
    venue: 'binance',
    symbol: 'BTC-USDT',
    bidPx: '60000.1',
    bidSz: '1',
    askPx: '60000.2',
    askSz: '1',
    seq: 1,
    ts: 1,
    recvTs: 1,
  });
  const srv = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  srv.listen(0, '127.0.0.1', () => process.stdout.write(`${srv.address().port}\n`));
  setTimeout(() => process.exit(0), (seconds * 4 + 30) * 1000);
} else if (values.child === 'nats') {
  const nc = await connect({ servers: NATS_URL });
  const reply = new TextEncoder().encode(JSON.stringify({ status: 200, data: { bidPx: '60000.1' } }));
  const subject = `bench${process.pid}.baseline`;
  nc.subscribe(subject, { callback: (_e, m) => m.respond(reply) });
  await nc.flush();
  process.stdout.write(`${subject}\n`);
  setTimeout(() => process.exit(0), (seconds * 4 + 30) * 1000);
} else {
  await main();
}

function startChild(args, env = {}) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const first = new Promise((resolve) => child.stdout.once('data', (d) => resolve(d.toString().trim())));
  return { child, first };
}

function percentiles(samples) {
  const s = Float64Array.from(samples).sort();
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  const r = (v) => Math.round(v * 1000) / 1000;
  return { n: s.length, p50: r(at(0.5)), p90: r(at(0.9)), p99: r(at(0.99)), max: r(s[s.length - 1]) };
}

/** CPU time (user + system) a process has used so far, ms (Linux /proc; NaN elsewhere). */
function processCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

function perItem(ms, n) {
  return n ? Math.round((ms * 1000 * 10) / n) / 10 : null;
}

/** Share of flushes whose apply lag was ≤ each bucket bound (from the service's histogram, this phase only). */
function lagBuckets(after, before) {
  const out = {};
  const count = metric(after, 'cs_cache_apply_lag_seconds_count') - metric(before, 'cs_cache_apply_lag_seconds_count');
  for (const le of ['0.01', '0.02', '0.05', '0.1', '0.2', '0.5', '1']) {
    const n = metric(after, 'cs_cache_apply_lag_seconds_bucket', `le="${le}"`) - metric(before, 'cs_cache_apply_lag_seconds_bucket', `le="${le}"`);
    if (count) out[`le${le}s`] = Math.round((n / count) * 1000) / 1000;
  }
  return out;
}

/** Sum of a metric's samples in Prometheus text (optionally those whose labels match). */
function metric(text, name, labelFilter = '') {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labelFilter && !line.includes(labelFilter)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

// ---- phases -------------------------------------------------------------------------------------

async function rawRedis(prefix) {
  const redis = new Redis(REDIS_URL, { keyPrefix: prefix });
  await redis.set('probe', JSON.stringify({ bidPx: '60000.1', askPx: '60000.2' }));
  const lat = [];
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const t = process.hrtime.bigint();
    await redis.get('probe');
    lat.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  // pipelined SETs: one command per update, no conflation
  let sets = 0;
  const t0 = Date.now();
  const payload = JSON.stringify({ bidPx: '60000.1', bidSz: '1', askPx: '60000.2', askSz: '1', seq: 1 });
  while (Date.now() - t0 < seconds * 1000) {
    const p = redis.pipeline();
    for (let i = 0; i < 1000; i++) p.set(`k${i % 100}`, payload, 'PX', 60000);
    await p.exec();
    sets += 1000;
  }
  const setsPerSecond = Math.round(sets / ((Date.now() - t0) / 1000));
  await redis.quit();
  return { getLatencyMs: percentiles(lat), getsPerSecond: Math.round(lat.length / seconds), pipelinedSetsPerSecond: setsPerSecond };
}

function redisBenchmark() {
  try {
    const port = new URL(REDIS_URL).port || '6379';
    const out = execFileSync(
      'redis-benchmark',
      ['-h', '127.0.0.1', '-p', port, '-t', 'get,set', '-n', '200000', '-q', '-P', '1', '-c', '1'],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    const piped = execFileSync(
      'redis-benchmark',
      ['-h', '127.0.0.1', '-p', port, '-t', 'set', '-n', '1000000', '-q', '-P', '64', '-c', '4'],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    const rps = (text, cmd) => Number(new RegExp(`${cmd}: ([\\d.]+) requests per second`).exec(text.replace(/\r/g, '\n'))?.[1] ?? NaN);
    const p50 = (text, cmd) =>
      Number(new RegExp(`${cmd}: [\\d.]+ requests per second, p50=([\\d.]+) msec`).exec(text.replace(/\r/g, '\n'))?.[1] ?? NaN);
    return {
      getPerSecond1Client: rps(out, 'GET'),
      getP50Ms1Client: p50(out, 'GET'),
      setPerSecondPipelined64x4: rps(piped, 'SET'),
    };
  } catch (err) {
    return { skipped: `redis-benchmark not available: ${String(err.message).split('\n')[0]}` };
  }
}

async function nearCache() {
  const out = join(tmpdir(), `cs-bench-near-${process.pid}.mjs`);
  buildSync({
    entryPoints: [join(root, 'apps/cache-service/src/app/near-cache/near-cache.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: out,
    logLevel: 'error',
  });
  const { NearCache } = await import(pathToFileURL(out).href);
  rmSync(out, { force: true });
  const measure = (get) => {
    const lat = [];
    const keys = Array.from({ length: 1000 }, (_, i) => `l1:{binance:S${i}-USDT}`);
    const end = Date.now() + Math.min(seconds, 3) * 1000;
    let i = 0;
    while (Date.now() < end) {
      const k = keys[i++ % 1000];
      const t = process.hrtime.bigint();
      get(k);
      lat.push(Number(process.hrtime.bigint() - t) / 1e3);
    }
    return percentiles(lat.slice(10_000)); // after warm-up
  };
  const value = JSON.stringify({ bidPx: '60000.1', askPx: '60000.2' });
  const results = {};
  for (const strategy of [
    { kind: 'lru', max: 10_000 },
    { kind: 'lfu', max: 10_000 },
    { kind: 'ttl', max: 10_000, ttlMs: 60_000 },
  ]) {
    const c = new NearCache('bench', strategy, 60_000);
    for (let i = 0; i < 1000; i++) c.set(`l1:{binance:S${i}-USDT}`, value);
    results[strategy.kind] = measure((k) => c.get(k));
  }
  const map = new Map(Array.from({ length: 1000 }, (_, i) => [`l1:{binance:S${i}-USDT}`, value]));
  return { unit: 'µs per get (hrtime around each call)', ...results, baselineMap: measure((k) => map.get(k)) };
}

/**
 * CPU cost of ingest in process, without NATS or Redis: decode + validate + apply every update, and
 * collect the conflated batch (serialization) every 600 updates — a 10 ms window at 60,000/s.
 */
async function ingestCpu() {
  const out = join(root, 'tmp', `cs-bench-ingest-${process.pid}.mjs`); // inside the workspace: node_modules resolve
  buildSync({
    stdin: {
      contents: "export { marketDataDecoder } from './ingest/md-decoder'; export { MarketState } from './ingest/market-state';",
      resolveDir: join(root, 'apps/cache-service/src/app'),
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: out,
    logLevel: 'error',
  });
  const { marketDataDecoder, MarketState } = await import(pathToFileURL(out).href);
  rmSync(out, { force: true });
  const enc = new TextEncoder();
  const decoder = marketDataDecoder({ index: 0, count: 1 });
  const state = new MarketState({
    bookDepth: 20,
    tradesMaxLen: 1000,
    candlesKeep: { '1s': 600, '1m': 1440 },
    l1TtlMs: 60_000,
    bookTtlMs: 60_000,
    historyTtlMs: 3_600_000,
    bboStaleMs: 5000,
    maxPendingTrades: 1_000_000,
    maxInstruments: 10_000,
  });
  const venues = ['binance', 'coinbase', 'kraken', 'okx', 'bybit'];
  const insts = venues.flatMap((venue) => Array.from({ length: 20 }, (_, s) => ({ venue, symbol: `S${s}-USDT`, seq: 1, l2: 1, trade: 0 })));
  for (const i of insts) {
    const lv = Array.from({ length: 20 }, (_, k) => [(100 - k * 0.1).toFixed(1), '1.5']);
    const la = Array.from({ length: 20 }, (_, k) => [(100.1 + k * 0.1).toFixed(1), '2.5']);
    const m = decoder.decode(
      enc.encode(
        JSON.stringify({ v: 1, venue: i.venue, symbol: i.symbol, snapshot: true, bids: lv, asks: la, seq: 1, ts: Date.now(), recvTs: 1 }),
      ),
      'md.>',
    );
    state.applyL2(m.m);
  }
  const generate = (count) => {
    const out = [];
    for (let n = 0; n < count; n++) {
      const i = insts[n % insts.length];
      const r = n % 10;
      const ts = Date.now();
      let m;
      if (r < 7) {
        i.seq++;
        m = {
          v: 1,
          venue: i.venue,
          symbol: i.symbol,
          bidPx: (100 + (i.seq % 7) * 0.1).toFixed(1),
          bidSz: '1',
          askPx: (100.8 + (i.seq % 7) * 0.1).toFixed(1),
          askSz: '2',
          seq: i.seq,
          ts,
          recvTs: ts * 1000,
        };
      } else if (r < 9) {
        const prevSeq = i.l2++;
        m = {
          v: 1,
          venue: i.venue,
          symbol: i.symbol,
          snapshot: false,
          bids: [[(100 - (i.l2 % 20) * 0.1).toFixed(1), `${(i.l2 % 5) + 1}`]],
          asks: [],
          seq: i.l2,
          prevSeq,
          ts,
          recvTs: ts * 1000,
        };
      } else {
        i.trade++;
        m = { v: 1, venue: i.venue, symbol: i.symbol, id: `${i.trade}`, price: '100.1', size: '0.5', side: 'buy', ts, recvTs: ts * 1000 };
      }
      out.push(enc.encode(JSON.stringify(m)));
    }
    return out;
  };
  const run = (bytes) => {
    let commands = 0;
    const t0 = process.hrtime.bigint();
    for (let n = 0; n < bytes.length; n++) {
      const u = decoder.decode(bytes[n], 'md.>');
      if (u.kind === 'l1') state.applyL1(u.m);
      else if (u.kind === 'l2') state.applyL2(u.m);
      else if (u.kind === 'trade') state.applyTrade(u.m);
      if (n % 600 === 599) commands += state.collect().commands.length;
    }
    commands += state.collect().commands.length;
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, commands };
  };
  run(generate(50_000)); // warm-up
  const bytes = generate(300_000);
  const r = run(bytes);
  const ignored = Object.values(state.counters.ignored).reduce((a, b) => a + b, 0);
  return {
    updates: bytes.length,
    microsecondsPerUpdate: Math.round((r.seconds / bytes.length) * 1e6 * 100) / 100,
    updatesPerCpuSecond: Math.round(bytes.length / r.seconds),
    conflationRatio: Math.round((bytes.length / r.commands) * 100) / 100,
    ignored,
  };
}

/** Requests at a fixed rate over keep-alive connections; latency from send to the last byte. */
async function httpAtRate(base, path, rate, expect = 200) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const lat = [];
  let errors = 0;
  let inflight = 0;
  let sent = 0;
  const get = () =>
    new Promise((resolve) => {
      const t = process.hrtime.bigint();
      inflight++;
      const req = http.get(`${base}${path}`, { agent }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => {
          inflight--;
          if (res.statusCode === expect) lat.push(Number(process.hrtime.bigint() - t) / 1e6);
          else errors++;
          resolve();
        });
      });
      req.on('error', () => {
        inflight--;
        errors++;
        resolve();
      });
    });
  // warm-up
  for (let i = 0; i < 200; i++) await get();
  lat.length = 0;
  const t0 = Date.now();
  const pending = [];
  while (Date.now() - t0 < seconds * 1000) {
    const due = Math.floor(((Date.now() - t0) / 1000) * rate);
    while (sent < due && inflight < 256) {
      sent++;
      pending.push(get());
    }
    // A 1 ms timer, not setImmediate: a spinning client took a whole core from the server it measures.
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(pending);
  agent.destroy();
  const elapsed = (Date.now() - t0) / 1000;
  return {
    offeredPerSecond: rate,
    achievedPerSecond: Math.round(lat.length / elapsed),
    total: lat.length + errors,
    errors,
    latencyMs: percentiles(lat),
  };
}

async function natsRequests(nc, subject, body) {
  const enc = new TextEncoder();
  const data = enc.encode(JSON.stringify(body));
  for (let i = 0; i < 200; i++) await nc.request(subject, data, { timeout: 2000 });
  const lat = [];
  const end = Date.now() + Math.min(seconds, 3) * 1000;
  while (Date.now() < end) {
    const t = process.hrtime.bigint();
    await nc.request(subject, data, { timeout: 2000 });
    lat.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { sequentialPerSecond: Math.round(lat.length / Math.min(seconds, 3)), latencyMs: percentiles(lat) };
}

/** Offered market data: 100 instruments, 70 % L1, 20 % L2 deltas, 10 % trades, increasing seq. */
async function ingest(nc, prefix, serviceUrl, rate, ingestSeconds = seconds) {
  const venues = ['binance', 'coinbase', 'kraken', 'okx', 'bybit'];
  const insts = [];
  for (const v of venues) for (let s = 0; s < 20; s++) insts.push({ venue: v, symbol: `S${s}-USDT`, seq: 1, l2: 1, trade: 0 });
  const enc = new TextEncoder();
  const pub = (kind, i, body) => nc.publish(`${prefix}md.${kind}.${i.venue}.${i.symbol}`, enc.encode(body));
  for (const i of insts) {
    const lv = Array.from({ length: 20 }, (_, k) => `["${(100 - k * 0.1).toFixed(1)}","1.5"]`).join(',');
    const la = Array.from({ length: 20 }, (_, k) => `["${(100.1 + k * 0.1).toFixed(1)}","2.5"]`).join(',');
    pub(
      'l2',
      i,
      `{"v":1,"venue":"${i.venue}","symbol":"${i.symbol}","snapshot":true,"bids":[${lv}],"asks":[${la}],"seq":1,"ts":${Date.now()},"recvTs":1}`,
    );
  }
  await nc.flush();
  await sleep(500);
  const scrape = async () => (await fetch(`${serviceUrl}/metrics`)).text();
  const before = await scrape();
  let published = 0;
  const t0 = Date.now();
  let n = 0;
  while (Date.now() - t0 < ingestSeconds * 1000) {
    const due = Math.floor(((Date.now() - t0) / 1000) * rate);
    const until = Math.min(due, published + 2000);
    for (; published < until; published++) {
      const i = insts[n++ % insts.length];
      const r = n % 10;
      const ts = Date.now();
      if (r < 7) {
        i.seq++;
        pub(
          'l1',
          i,
          `{"v":1,"venue":"${i.venue}","symbol":"${i.symbol}","bidPx":"${(100 + (i.seq % 7) * 0.1).toFixed(1)}","bidSz":"1","askPx":"${(100.8 + (i.seq % 7) * 0.1).toFixed(1)}","askSz":"2","seq":${i.seq},"ts":${ts},"recvTs":${ts * 1000}}`,
        );
      } else if (r < 9) {
        const prev = i.l2++;
        const px = (100 - (i.l2 % 20) * 0.1).toFixed(1);
        pub(
          'l2',
          i,
          `{"v":1,"venue":"${i.venue}","symbol":"${i.symbol}","snapshot":false,"bids":[["${px}","${(i.l2 % 5) + 1}"]],"asks":[],"seq":${i.l2},"prevSeq":${prev},"ts":${ts},"recvTs":${ts * 1000}}`,
        );
      } else {
        i.trade++;
        pub(
          'trade',
          i,
          `{"v":1,"venue":"${i.venue}","symbol":"${i.symbol}","id":"${i.trade}","price":"100.1","size":"0.5","side":"buy","ts":${ts},"recvTs":${ts * 1000}}`,
        );
      }
    }
    if (published % 20_000 < 2000) await nc.flush();
    await new Promise((r) => setImmediate(r));
  }
  await nc.flush();
  const offeredSecs = (Date.now() - t0) / 1000;
  // let the last flushes land, then read the service's own counters
  const publishedAt = Date.now();
  let after = await scrape();
  let settledAt = Date.now();
  for (let k = 0; k < 100; k++) {
    await sleep(100);
    const next = await scrape();
    if (metric(next, 'cs_cache_updates_written_total') === metric(after, 'cs_cache_updates_written_total')) break;
    after = next;
    settledAt = Date.now();
  }
  const d = (name, f) => metric(after, name, f) - metric(before, name, f);
  const received = d('cs_cache_updates_total');
  const written = d('cs_cache_updates_written_total');
  const keys = d('cs_cache_keys_written_total');
  const flushes = d('cs_cache_flushes_total', 'result="ok"');
  const lagSum = d('cs_cache_apply_lag_seconds_sum');
  const lagCount = d('cs_cache_apply_lag_seconds_count');
  return {
    offeredPerSecond: Math.round(published / offeredSecs),
    receivedPerSecond: Math.round(received / offeredSecs),
    appliedIntoRedisPerSecond: Math.round(written / offeredSecs),
    redisCommandsPerSecond: Math.round(keys / offeredSecs),
    conflationRatio: keys ? Math.round((written / keys) * 100) / 100 : 0,
    flushesPerSecond: Math.round(flushes / offeredSecs),
    meanCommandsPerFlush: flushes ? Math.round(keys / flushes) : 0,
    meanApplyLagMs: lagCount ? Math.round((lagSum / lagCount) * 10_000) / 10 : null,
    meanPipelineMs: d('cs_cache_redis_op_seconds_count', 'op="pipeline"')
      ? Math.round((d('cs_cache_redis_op_seconds_sum', 'op="pipeline"') / d('cs_cache_redis_op_seconds_count', 'op="pipeline"')) * 10_000) / 10
      : null,
    // how long after the last publish the service was still writing (a backlog if ≫ the flush window)
    drainAfterPublishMs: settledAt - publishedAt,
    appliedPerSecondIncludingDrain: Math.round(written / ((settledAt - t0) / 1000)),
    receivedTotal: received,
    applyLagHistogram: lagBuckets(after, before),
    droppedByDataPlane: d('cs_nats_messages_dropped_total'),
    ignored: d('cs_cache_updates_ignored_total'),
  };
}

async function main() {
  const id = `bench${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const keyPrefix = `${id}:`;
  const subjectPrefix = `${id}.`;
  const report = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      node: process.version,
      loadAverageAtStart: loadavg().map((l) => Math.round(l * 10) / 10),
    },
    seconds,
    command: 'npx nx build cache-service && node benchmarks/cache-service.mjs',
  };

  if (phases.has('baselines')) {
    console.log('baseline: raw ioredis…');
    report.baselineIoredis = await rawRedis(`${id}raw:`);
    console.log('baseline: redis-benchmark…');
    report.baselineRedisBenchmark = redisBenchmark();
    console.log('near cache in process…');
    report.nearCache = await nearCache();
    console.log('ingest CPU cost in process…');
    report.ingestCpu = await ingestCpu();
  }

  console.log('starting cache-service…');
  const port = 19800 + Math.floor(Math.random() * 150);
  const profArgs = values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : [];
  const svc = spawn(process.execPath, [...profArgs, values.service ?? join(root, 'dist/apps/cache-service/main.js')], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      HTTP_PORT: String(port),
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NATS_URL,
      REDIS_URL,
      NATS_SUBJECT_PREFIX: subjectPrefix,
      REDIS_KEY_PREFIX: keyPrefix,
      INSTANCE_ID: id,
      CACHE_FLUSH_MS: '10',
      SHUTDOWN_DRAIN_MS: '0',
    },
  });
  const serviceUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${serviceUrl}/health/readiness`)).status === 200) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error('cache-service did not become ready');
    await sleep(200);
  }
  const nc = await connect({ servers: NATS_URL, name: 'cache-bench' });
  try {
    const cpu = () => processCpuMs(svc.pid);
    if (phases.has('ingest')) {
      console.log(`ingest at ${values.rate}/s offered…`);
      const c0 = cpu();
      report.ingest = await ingest(nc, subjectPrefix, serviceUrl, Number(values.rate));
      report.ingest.serviceCpuMicrosecondsPerUpdate = perItem(cpu() - c0, report.ingest.receivedTotal);
      await sleep(500);
    } else {
      await ingest(nc, subjectPrefix, serviceUrl, 2000, 1); // a little data to read
    }

    if (phases.has('http')) {
      const httpRate = Number(values['http-rate']);
      console.log(`HTTP reads at ${httpRate}/s…`);
      const base = startChild([fileURLToPath(import.meta.url), '--child', 'http', '--seconds', String(seconds)]);
      const basePort = Number(await base.first);
      // Each phase starts once the service is idle again (< 5 % of a core over 250 ms, at most 15 s):
      // the ingest phase leaves it flushing for a while, and that would land in the first phases' tail.
      const settle = async () => {
        for (const end = Date.now() + 15_000; Date.now() < end; ) {
          const c0 = processCpuMs(svc.pid);
          await sleep(250);
          if (processCpuMs(svc.pid) - c0 < 12.5) return;
        }
      };
      const withCpu = async (pid, run) => {
        await settle();
        const c0 = processCpuMs(pid);
        const r = await run();
        r.serverCpuMicrosecondsPerRequest = perItem(processCpuMs(pid) - c0, r.total);
        return r;
      };
      report.http = {
        baselineBareNodeHttp: await withCpu(base.child.pid, () => httpAtRate(`http://127.0.0.1:${basePort}`, '/', httpRate)),
        l1NearCache: await withCpu(svc.pid, () => httpAtRate(serviceUrl, '/v1/l1/binance/S1-USDT', httpRate)),
        book10: await withCpu(svc.pid, () => httpAtRate(serviceUrl, '/v1/book/binance/S1-USDT?depth=10', httpRate)),
        // the same read through Express + Nest (a trailing slash is not taken by the fast path)
        l1ViaNest: await withCpu(svc.pid, () => httpAtRate(serviceUrl, '/v1/l1/binance/S1-USDT/', httpRate)),
        kvMiss404: await withCpu(svc.pid, () => httpAtRate(serviceUrl, '/v1/kv/bench/absent', httpRate, 404)),
      };
      base.child.kill();
    }

    if (phases.has('nats')) {
      console.log('NATS request-reply…');
      const nbase = startChild([fileURLToPath(import.meta.url), '--child', 'nats', '--seconds', String(seconds)]);
      const baseSubject = await nbase.first;
      report.nats = {
        baselineBareResponder: await natsRequests(nc, baseSubject, {}),
        l1: await natsRequests(nc, `${subjectPrefix}cache.l1`, { venue: 'binance', symbol: 'S1-USDT' }),
        book10: await natsRequests(nc, `${subjectPrefix}cache.book`, { venue: 'binance', symbol: 'S1-USDT', depth: 10 }),
      };
      nbase.child.kill();
    }
  } finally {
    await nc.close();
    const exited = new Promise((r) => svc.once('exit', r));
    svc.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]); // a --cpu-prof profile is written on exit
    const redis = new Redis(REDIS_URL);
    for (const pattern of [`${keyPrefix}*`, `${id}raw:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    }
    await redis.quit();
  }

  report.machine.loadAverageAtEnd = loadavg().map((l) => Math.round(l * 10) / 10);
  if (phases.size < 4) {
    console.log(JSON.stringify(report, null, 2)); // a partial run (diagnostics) leaves the report alone
    process.exit(0);
  }
  mkdirSync(join(root, 'benchmarks/results'), { recursive: true });
  writeFileSync(join(root, 'benchmarks/results/cache-service.json'), `${JSON.stringify(report, null, 2)}\n`);
  const r = report;
  const lat = (x) => `${x.p50} / ${x.p90} / ${x.p99} / ${x.max}`;
  const rb = r.baselineRedisBenchmark;
  const lines = [
    `# cache-service benchmark (${r.date})`,
    '',
    `Machine: ${r.machine.cpus} cores, ${r.machine.model}, Node ${r.machine.node}, shared with other work while it ran: load average ${r.machine.loadAverageAtStart[0]} at start, ${r.machine.loadAverageAtEnd[0]} at the end (1 min) on ${r.machine.cpus} cores — a bare Node HTTP server and redis-benchmark, measured in the same run, show how much that costs. Phases of ${seconds} s; service, baselines and client on 127.0.0.1; real NATS and Redis. \`${r.command}\``,
    '',
    '## Updates applied into Redis',
    '',
    '| run | per second | note |',
    '|---|---:|---|',
    `| offered (L1 70 %, L2 deltas 20 %, trades 10 %, 100 instruments) | ${r.ingest.offeredPerSecond} | published by this script |`,
    `| received and applied to the in-memory state | ${r.ingest.receivedPerSecond} | data-plane drops: ${r.ingest.droppedByDataPlane}, ignored: ${r.ingest.ignored} |`,
    `| **updates applied into Redis** | **${r.ingest.appliedIntoRedisPerSecond}** | target ≥ 50,000/s |`,
    `| Redis commands written | ${r.ingest.redisCommandsPerSecond} | conflation ratio ${r.ingest.conflationRatio} updates per command; ${r.ingest.flushesPerSecond} flushes/s, ${r.ingest.meanCommandsPerFlush} commands each, pipeline ${r.ingest.meanPipelineMs} ms mean; mean apply lag ${r.ingest.meanApplyLagMs} ms; flushes with lag ≤ 50 / 100 / 500 ms: ${r.ingest.applyLagHistogram['le0.05s']} / ${r.ingest.applyLagHistogram['le0.1s']} / ${r.ingest.applyLagHistogram['le0.5s']}; still writing ${r.ingest.drainAfterPublishMs} ms after the last publish |`,
    `| service CPU per update (user + system, /proc) | ${r.ingest.serviceCpuMicrosecondsPerUpdate} µs | NATS client + decode + apply + flush through ioredis |`,
    `| in process, no NATS or Redis: decode + validate + apply + collect (CPU cost ${r.ingestCpu.microsecondsPerUpdate} µs per update) | ${r.ingestCpu.updatesPerCpuSecond} | one core; conflation ${r.ingestCpu.conflationRatio}, ignored ${r.ingestCpu.ignored} |`,
    `| baseline: raw ioredis pipelined SET (1 command per update) | ${r.baselineIoredis.pipelinedSetsPerSecond} | batches of 1,000 |`,
    rb.skipped
      ? `| baseline: redis-benchmark | – | ${rb.skipped} |`
      : `| baseline: redis-benchmark SET -P 64 -c 4 | ${rb.setPerSecondPipelined64x4} | |`,
    '',
    '## Reads (latency in ms: p50 / p90 / p99 / max)',
    '',
    '| run | achieved/s | latency ms | errors | server CPU µs per request |',
    '|---|---:|---|---:|---:|',
    `| baseline: bare Node HTTP server, fixed body, ${r.http.baselineBareNodeHttp.offeredPerSecond}/s offered | ${r.http.baselineBareNodeHttp.achievedPerSecond} | ${lat(r.http.baselineBareNodeHttp.latencyMs)} | ${r.http.baselineBareNodeHttp.errors} | ${r.http.baselineBareNodeHttp.serverCpuMicrosecondsPerRequest} |`,
    `| HTTP GET /v1/l1 (near cache), ${r.http.l1NearCache.offeredPerSecond}/s offered | ${r.http.l1NearCache.achievedPerSecond} | ${lat(r.http.l1NearCache.latencyMs)} | ${r.http.l1NearCache.errors} | ${r.http.l1NearCache.serverCpuMicrosecondsPerRequest} |`,
    `| HTTP GET /v1/book depth 10, ${r.http.book10.offeredPerSecond}/s offered | ${r.http.book10.achievedPerSecond} | ${lat(r.http.book10.latencyMs)} | ${r.http.book10.errors} | ${r.http.book10.serverCpuMicrosecondsPerRequest} |`,
    `| HTTP GET /v1/l1/…/ through Express + Nest (trailing slash: not the fast path), ${r.http.l1ViaNest.offeredPerSecond}/s offered | ${r.http.l1ViaNest.achievedPerSecond} | ${lat(r.http.l1ViaNest.latencyMs)} | ${r.http.l1ViaNest.errors} | ${r.http.l1ViaNest.serverCpuMicrosecondsPerRequest} |`,
    `| HTTP GET /v1/kv miss (404 after a Redis GET), ${r.http.kvMiss404.offeredPerSecond}/s offered | ${r.http.kvMiss404.achievedPerSecond} | ${lat(r.http.kvMiss404.latencyMs)} | ${r.http.kvMiss404.errors} | ${r.http.kvMiss404.serverCpuMicrosecondsPerRequest} |`,
    `| baseline: bare NATS responder, sequential requests | ${r.nats.baselineBareResponder.sequentialPerSecond} | ${lat(r.nats.baselineBareResponder.latencyMs)} | |`,
    `| NATS cache.l1, sequential requests | ${r.nats.l1.sequentialPerSecond} | ${lat(r.nats.l1.latencyMs)} | |`,
    `| NATS cache.book depth 10, sequential | ${r.nats.book10.sequentialPerSecond} | ${lat(r.nats.book10.latencyMs)} | |`,
    `| baseline: raw ioredis GET, sequential | ${r.baselineIoredis.getsPerSecond} | ${lat(r.baselineIoredis.getLatencyMs)} | |`,
    rb.skipped
      ? ''
      : `| baseline: redis-benchmark GET, 1 client, no pipelining | ${rb.getPerSecond1Client} | p50 ${rb.getP50Ms1Client} | |`,
    '',
    '## Near-cache hit in process (µs: p50 / p90 / p99 / max; timer overhead included)',
    '',
    '| strategy | µs |',
    '|---|---|',
    ...['lru', 'lfu', 'ttl'].map((k) => `| ${k} | ${lat(r.nearCache[k])} |`),
    `| baseline: plain Map.get | ${lat(r.nearCache.baselineMap)} |`,
    '',
  ].filter((l) => l !== undefined);
  writeFileSync(join(root, 'benchmarks/results/cache-service.md'), lines.join('\n'));
  console.log(lines.join('\n'));
  process.exit(0);
}
