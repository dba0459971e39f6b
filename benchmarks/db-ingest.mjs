#!/usr/bin/env node
// db-proxy: sustained ingest from MD_TRADES to committed rows, against raw COPY of the same rows
// measured in the same run, and the latency of one-hour range queries on a table of >= 10M trades.
//
//   npx nx build db-proxy && node benchmarks/db-ingest.mjs [--trades 300000] [--rows 10000000] [--queries 300]
//        [--batch 5000] [--replicas 1] [--ingest-only]   (--ingest-only: steps 1-2, printed, no report written;
//        --replicas: db-proxy processes sharing the durable consumer)
//
// CPU is measured per process from /proc (utime + stime): the service process and its Postgres
// backends (found by application_name) during the ingest window; the COPY client and its backend
// for the baseline; nats-server (every local one, so an upper bound) and Postgres' background processes.
//
// Needs the local NATS (JetStream) and Postgres; everything stays on 127.0.0.1 in a namespace of
// its own (stream <id>_MD_TRADES, schemas bench_<id>_*), dropped at the end. The 10M-row table is
// generated in SQL (generate_series), not pushed through the service.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { connect } from 'nats';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    trades: { type: 'string', default: '300000' },
    rows: { type: 'string', default: '10000000' },
    queries: { type: 'string', default: '300' },
    batch: { type: 'string', default: '5000' },
    replicas: { type: 'string', default: '1' },
    'ingest-only': { type: 'boolean', default: false },
  },
});
const BATCH = Number(values.batch);
const REPLICAS = Number(values.replicas);
const INGEST_ONLY = values['ingest-only'];
const TRADES = Number(values.trades);
const ROWS = Number(values.rows);
const QUERIES = Number(values.queries);
const PG_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const NATS_URL = process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
const id = `bench${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const prefix = `${id}.`;
const stream = `${id}_MD_TRADES`;
const ingestSchema = `bench_${id}_ingest`;
const querySchema = `bench_${id}_query`;
const copySchema = `bench_${id}_copy`;
const main = process.env.BENCH_DB_PROXY_MAIN ?? join(root, 'dist/apps/db-proxy/main.js'); // override: A/B against another build

const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();
const nc = await connect({ servers: NATS_URL });
const jsm = await nc.jetstreamManager();
const children = [];

const log = (m) => process.stdout.write(`${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
/** CPU seconds (user + system) a process has used so far; 0 when it is gone. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (CLK_TCK 100)
  } catch {
    return 0;
  }
}
/** Backend pids of the connections whose application_name starts with `app`. */
async function backendPids(app) {
  const r = await admin.query(`SELECT pid FROM pg_stat_activity WHERE application_name LIKE $1`, [`${app}%`]);
  return r.rows.map((x) => x.pid);
}

function trade(i, baseTs) {
  const cents = 6_000_000 + ((i * 7919) % 100_000);
  const venue = ['binance', 'okx', 'kraken', 'bybit'][i % 4];
  return {
    v: 1,
    venue,
    symbol: 'BTC-USDT',
    id: String(i),
    price: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
    size: `0.${String(1 + (i % 997)).padStart(4, '0')}`,
    side: i % 2 ? 'buy' : 'sell',
    ts: baseTs + Math.floor(i / 10),
    recvTs: (baseTs + Math.floor(i / 10)) * 1000 + 250,
  };
}

function startService(schema, port, extra = {}) {
  // e.g. BENCH_SERVICE_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the service
  const nodeArgs = process.env.BENCH_SERVICE_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, main], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      TZ: 'UTC',
      NODE_ENV: 'production',
      HTTP_PORT: String(port),
      HTTP_HOST: '127.0.0.1',
      INSTANCE_ID: `${id}-${port}`,
      LOG_LEVEL: 'warn',
      NATS_URL,
      NATS_SUBJECT_PREFIX: prefix,
      POSTGRES_URL: PG_URL,
      POSTGRES_SCHEMA: schema,
      POSTGRES_SLOW_QUERY_MS: '10000',
      ...extra,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  return child;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(port, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/readiness`)).status === 200) return;
    } catch {
      /* not listening yet */
    }
    await sleep(200);
  }
  throw new Error(`db-proxy on ${port} not ready after ${ms} ms`);
}

async function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await jsm.streams.delete(stream).catch(() => undefined);
  for (const s of [ingestSchema, querySchema, copySchema]) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => undefined);
}

bench: try {
  const baseTs = Date.now() - 3_600_000;
  const lines = [];
  const payloads = Array.from({ length: TRADES }, (_, i) => trade(i, baseTs));

  // 1. Raw COPY baseline: the same rows, COPY'd in 5,000-row batches into a plain table of the same
  //    columns with its primary key (no partitions, no staging, no candles, no NATS).
  await admin.query(`CREATE SCHEMA "${copySchema}"`);
  await admin.query(`CREATE TABLE "${copySchema}".trades (venue text, symbol text, trade_id text, ts_ms bigint, price numeric, size numeric, side text, recv_us bigint, PRIMARY KEY (venue, symbol, trade_id))`);
  const copyClient = new pg.Client({ connectionString: PG_URL, application_name: `${id}-copy` });
  await copyClient.connect();
  const [copyBackend] = await backendPids(`${id}-copy`);
  const copyCpu0 = process.cpuUsage();
  const copyBackendCpu0 = cpuSeconds(copyBackend);
  let t0 = performance.now();
  for (let i = 0; i < TRADES; i += BATCH) {
    let text = '';
    for (const t of payloads.slice(i, i + BATCH)) text += `${t.venue}\t${t.symbol}\t${t.id}\t${t.ts}\t${t.price}\t${t.size}\t${t.side}\t${t.recvTs}\n`;
    await copyClient.query('BEGIN');
    await pipeline(Readable.from([text]), copyClient.query(copyFrom(`COPY "${copySchema}".trades FROM STDIN`)));
    await copyClient.query('COMMIT');
  }
  const copySeconds = (performance.now() - t0) / 1000;
  const copyClientCpu = (() => {
    const u = process.cpuUsage(copyCpu0);
    return (u.user + u.system) / 1e6;
  })();
  const copyBackendCpu = cpuSeconds(copyBackend) - copyBackendCpu0;
  await copyClient.end();
  const copyRate = Math.round(TRADES / copySeconds);
  const copyCpuPerK = { client: round((copyClientCpu / TRADES) * 1000, 4), postgres: round((copyBackendCpu / TRADES) * 1000, 4) };
  log(`raw COPY: ${TRADES} rows in ${copySeconds.toFixed(2)} s = ${copyRate} rows/s; CPU-s per 1,000 rows: client ${copyCpuPerK.client}, postgres ${copyCpuPerK.postgres}`);

  // 2. db-proxy ingest: the stream is filled first, then the service drains it; measured from the
  //    first committed batch to the last (service start-up excluded).
  await jsm.streams.add({ name: stream, subjects: [`${prefix}md.trade.>`], duplicate_window: 120_000_000_000, max_age: 3600 * 1_000_000_000 });
  const js = nc.jetstream();
  t0 = performance.now();
  const pending = [];
  for (const t of payloads) {
    pending.push(js.publish(`${prefix}md.trade.${t.venue}.${t.symbol}`, JSON.stringify(t), { msgID: `${t.venue}:${t.symbol}:trade:${t.id}` }));
    if (pending.length >= 1000) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  log(`stream filled with ${TRADES} trades in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  // Replicas share the durable consumer (they split the stream), as deployed replicas do.
  const services = [];
  for (let r = 0; r < REPLICAS; r++) {
    const port = await freePort();
    services.push({ port, child: startService(ingestSchema, port, { INGEST_BATCH_MAX: String(BATCH) }), appName: `db-proxy/${id}-${port}` });
  }
  const iPorts = services.map((x) => x.port);
  // nats-server (every local one: shared, so an upper bound for ours) and Postgres' own background processes (WAL writer, checkpointer…).
  const pidsOf = (re) =>
    readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return re.test(readFileSync(`/proc/${d}/cmdline`, 'utf8'));
        } catch {
          return false;
        }
      })
      .map(Number);
  const natsPids = pidsOf(/nats-server/);
  const pgAuxPids = (await admin.query(`SELECT pid FROM pg_stat_activity WHERE backend_type <> 'client backend'`)).rows.map((x) => x.pid);
  const sumCpu = (pids) => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const cpuNow = async () => {
    const backends = new Map();
    for (const { appName } of services) for (const pid of await backendPids(appName)) backends.set(pid, cpuSeconds(pid));
    return { service: services.reduce((sum, x) => sum + cpuSeconds(x.child.pid), 0), backends, nats: sumCpu(natsPids), pgAux: sumCpu(pgAuxPids) };
  };
  const inserted = async () => {
    const r = await admin.query(`SELECT coalesce(sum(trades_inserted), 0)::bigint AS n FROM "${ingestSchema}".ingest_checkpoints`).catch(() => ({ rows: [{ n: 0 }] }));
    return Number(r.rows[0].n);
  };
  let firstAt;
  let firstCount = 0;
  let cpuAtFirst;
  const deadline = Date.now() + 600_000;
  for (;;) {
    const n = await inserted();
    if (n > 0 && firstAt === undefined) {
      firstAt = performance.now();
      firstCount = n;
      cpuAtFirst = await cpuNow();
    }
    if (n >= TRADES) break;
    if (Date.now() > deadline) throw new Error(`ingest incomplete after 10 min: ${n}/${TRADES}`);
    await sleep(20);
  }
  const ingestSeconds = (performance.now() - firstAt) / 1000;
  const cpuAtEnd = await cpuNow();
  const ingestRate = Math.round((TRADES - firstCount) / ingestSeconds);
  const measured = TRADES - firstCount;
  // A backend opened during the window counts whole (it did not exist at the first commit).
  let pgCpu = 0;
  for (const [pid, cpu] of cpuAtEnd.backends) pgCpu += cpu - (cpuAtFirst.backends.get(pid) ?? 0);
  const ingestCpuPerK = {
    service: round(((cpuAtEnd.service - cpuAtFirst.service) / measured) * 1000, 4),
    postgres: round((pgCpu / measured) * 1000, 4),
    postgresBackground: round(((cpuAtEnd.pgAux - cpuAtFirst.pgAux) / measured) * 1000, 4),
    natsServer: round(((cpuAtEnd.nats - cpuAtFirst.nats) / measured) * 1000, 4),
  };
  const stored = Number((await admin.query(`SELECT count(*) AS n FROM "${ingestSchema}".trades`)).rows[0].n);
  log(`db-proxy ingest (${REPLICAS} replica${REPLICAS > 1 ? 's' : ''}): ${measured} trades in ${ingestSeconds.toFixed(2)} s = ${ingestRate} trades/s (${round(ingestRate / copyRate)}x raw COPY); rows stored ${stored}`);
  const loadAtIngest = loadavg()[0];
  log(`  CPU-s per 1,000 trades: service ${ingestCpuPerK.service}, postgres backends ${ingestCpuPerK.postgres}, postgres background ${ingestCpuPerK.postgresBackground}, nats-server ${ingestCpuPerK.natsServer} (raw COPY: client ${copyCpuPerK.client}, postgres ${copyCpuPerK.postgres}); load ${loadAtIngest.toFixed(1)}`);
  // Where the time goes: the service's own histogram of batch write+commit time.
  const metricTexts = await Promise.all(iPorts.map(async (port) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text()));
  const metric = (name) =>
    metricTexts.reduce((sum, text) => sum + Number(text.match(new RegExp(`^${name}\\{[^}]*outcome="ok"[^}]*\\} ([0-9.e+-]+)$`, 'm'))?.[1] ?? NaN), 0);
  const writeSeconds = metric('cs_db_ingest_batch_seconds_sum');
  const batches = metric('cs_db_ingest_batch_seconds_count');
  log(`  batches ${batches}, Postgres write+commit ${round(writeSeconds)} s in total (${round((writeSeconds / ingestSeconds / REPLICAS) * 100, 0)}% of each replica's ingest time)`);
  // A clean stop (SIGTERM) within 15 s, else killed (and said so: a shutdown that hangs is a bug).
  for (const c of children.splice(0)) {
    const exited = new Promise((r) => c.once('exit', () => r(true)));
    c.kill('SIGTERM');
    if (!(await Promise.race([exited, sleep(15_000).then(() => false)]))) {
      log('  WARNING: the ingest service did not exit within 15 s of SIGTERM; killed');
      c.kill('SIGKILL');
    }
  }
  if (INGEST_ONLY) break bench;

  // 3. Range queries on >= 10M trades, generated in SQL: 4 venues x BTC-USDT over 7 days.
  const qPort = await freePort();
  startService(querySchema, qPort, { INGEST_ENABLED: 'false' });
  await waitReady(qPort);
  const days = 7;
  const end = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const start = end - days * 86_400_000;
  t0 = performance.now();
  await admin.query(`SET search_path = "${querySchema}"`);
  await admin.query(`SELECT cs_ensure_trades_partition(d::date) FROM generate_series($1::timestamptz, $2::timestamptz, '1 day') d`, [new Date(start).toISOString(), new Date(end).toISOString()]);
  const spacingUs = Math.floor((days * 86_400_000_000) / (ROWS / 4));
  await admin.query(
    `INSERT INTO trades (venue, symbol, trade_id, day, ts, price, size, side, recv_ts)
     SELECT (ARRAY['binance','okx','kraken','bybit'])[1 + i % 4], 'BTC-USDT', i::text,
            (to_timestamp($1::bigint / 1000.0) + (i / 4) * $2::bigint * interval '1 microsecond') AT TIME ZONE 'UTC',
            to_timestamp($1::bigint / 1000.0) + (i / 4) * $2::bigint * interval '1 microsecond',
            60000 + (i % 1000) / 100.0, 0.001 * (1 + i % 97), CASE WHEN i % 2 = 0 THEN 'buy' ELSE 'sell' END,
            to_timestamp($1::bigint / 1000.0) + (i / 4) * $2::bigint * interval '1 microsecond'
       FROM generate_series(0, $3::bigint - 1) AS i`,
    [start, spacingUs, ROWS],
  );
  await admin.query('ANALYZE trades');
  await admin.query('RESET search_path');
  const genSeconds = (performance.now() - t0) / 1000;
  const total = Number((await admin.query(`SELECT count(*) AS n FROM "${querySchema}".trades`)).rows[0].n);
  log(`generated ${total} trades in ${genSeconds.toFixed(0)} s`);

  const hourQueries = async (limit) => {
    const ms = [];
    let rows = 0;
    for (let q = 0; q < QUERIES; q++) {
      const from = start + Math.floor(Math.random() * (days * 24 - 1)) * 3_600_000 + Math.floor(Math.random() * 3_600_000);
      const venue = ['binance', 'okx', 'kraken', 'bybit'][q % 4];
      const t = performance.now();
      let cursor = null;
      do {
        const res = await fetch(`http://127.0.0.1:${qPort}/v1/trades/${venue}/BTC-USDT?from=${from}&to=${from + 3_600_000}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        if (res.status !== 200) throw new Error(`query failed: ${res.status} ${await res.text()}`);
        const body = await res.json();
        rows += body.items.length;
        cursor = limit === 5000 ? body.next : null;
      } while (cursor);
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    return { queries: QUERIES, rowsPerQuery: Math.round(rows / QUERIES), p50Ms: round(pct(ms, 50)), p99Ms: round(pct(ms, 99)), maxMs: round(ms.at(-1)) };
  };
  const firstPage = await hourQueries(1000);
  log(`one-hour range, first page of 1,000 over HTTP: p50 ${firstPage.p50Ms} ms, p99 ${firstPage.p99Ms} ms`);
  const wholeHour = await hourQueries(5000);
  log(`one-hour range, every page (${wholeHour.rowsPerQuery} trades) over HTTP: p50 ${wholeHour.p50Ms} ms, p99 ${wholeHour.p99Ms} ms`);

  const report = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    postgres: (await admin.query('SHOW server_version')).rows[0].server_version,
    ingest: {
      trades: TRADES,
      replicas: REPLICAS,
      batchMax: BATCH,
      cpuSecondsPer1000: ingestCpuPerK,
      seconds: round(ingestSeconds),
      tradesPerSecond: ingestRate,
      rowsStored: stored,
      targetTradesPerSecond: 100_000,
      batches,
      postgresWriteSeconds: round(writeSeconds),
    },
    rawCopy: { rows: TRADES, seconds: round(copySeconds), rowsPerSecond: copyRate, cpuSecondsPer1000: copyCpuPerK },
    loadAverage1m: round(loadAtIngest, 1),
    ingestVsRawCopy: round(ingestRate / copyRate),
    ceilingTradesPerSecond: Math.round(
      (cpus().length * 1000) / (ingestCpuPerK.service + ingestCpuPerK.postgres + ingestCpuPerK.postgresBackground + ingestCpuPerK.natsServer),
    ),
    rangeQuery: { tableRows: total, days, instruments: 4, generatedSeconds: Math.round(genSeconds), firstPage1000: firstPage, wholeHour },
  };
  mkdirSync(join(root, 'benchmarks/results'), { recursive: true });
  writeFileSync(join(root, 'benchmarks/results/db-ingest.json'), `${JSON.stringify(report, null, 2)}\n`);
  lines.push(
    '# db-proxy: ingest throughput and range-query latency',
    '',
    `${report.date} — ${report.machine.cpus} cores (${report.machine.model}), Node ${report.machine.node}, PostgreSQL ${report.postgres}; NATS, Postgres and the service share the machine (load average ${report.loadAverage1m} during the ingest, from other users too: compare the ratio to raw COPY of the same run).`,
    '',
    `\`npx nx build db-proxy && node benchmarks/db-ingest.mjs${REPLICAS > 1 ? ` --replicas ${REPLICAS}` : ''}\``,
    '',
    '| measure | result |',
    '|---|---|',
    `| raw COPY (same rows, ${BATCH.toLocaleString('en')}-row transactions, plain table with its primary key) | ${copyRate.toLocaleString('en')} rows/s; CPU-s per 1,000 rows: client ${copyCpuPerK.client}, Postgres ${copyCpuPerK.postgres} |`,
    `| db-proxy ingest, ${REPLICAS} replica${REPLICAS > 1 ? 's' : ''}: MD_TRADES → committed rows (pull consumer; COPY into the day partitions with candles, counts and checkpoint in the same transaction; acked after commit) | **${ingestRate.toLocaleString('en')} trades/s** (${report.ingestVsRawCopy}x raw COPY; target 100,000) |`,
    `| CPU-s per 1,000 trades (ingest window) | service ${ingestCpuPerK.service}, its Postgres backends ${ingestCpuPerK.postgres}, Postgres background ${ingestCpuPerK.postgresBackground}, nats-server ${ingestCpuPerK.natsServer} (JetStream delivery and one ack per trade) |`,
    `| what this machine allows: ${report.machine.cpus} cores ÷ the CPU of one trade (all four above) | ${report.ceilingTradesPerSecond.toLocaleString('en')} trades/s with every core busy and nothing else running |`,
    `| batches (up to ${BATCH.toLocaleString('en')}) and time inside the write (write + commit, summed) | ${batches} batches, ${round(writeSeconds)} s of ${round(ingestSeconds)} s |`,
    `| one-hour range on ${total.toLocaleString('en')} trades, first page (1,000 rows), HTTP | p50 ${firstPage.p50Ms} ms, **p99 ${firstPage.p99Ms} ms** (${QUERIES} random hours) |`,
    `| one-hour range, every page (~${wholeHour.rowsPerQuery.toLocaleString('en')} trades in pages of 5,000), HTTP | p50 ${wholeHour.p50Ms} ms, p99 ${wholeHour.p99Ms} ms |`,
    '',
  );
  writeFileSync(join(root, 'benchmarks/results/db-ingest.md'), lines.join('\n'));
  log('report: benchmarks/results/db-ingest.md');
} finally {
  await cleanup();
  await nc.close();
  await admin.end();
}
