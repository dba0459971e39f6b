#!/usr/bin/env node
// NATS data plane throughput: messages/s a subscriber decodes and validates through
// `NatsConnector.subscribe` (libs/messaging), against a bare `nats` subscription doing
// `JSON.parse` in the same run, plus zod validation and the Nest transports for comparison.
//
//   node benchmarks/data-plane.mjs [--seconds 3] [--rounds 3]
//
// Needs the NATS server on 127.0.0.1:4222 (a namespaced subject; nothing else is touched). The
// libraries are bundled from source with esbuild into dist/benchmarks/ first (no nx build needed).
// A publisher child process keeps at most WINDOW messages ahead of the subscriber (so the server
// never sees a slow consumer) and the subscriber's pace is what is measured. Each phase is bounded
// in time; phases alternate bare/data-plane and the median of the rounds is reported.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { build } from 'esbuild';
import { connect, StringCodec } from 'nats';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    child: { type: 'string' },
    prefix: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const NATS = 'nats://127.0.0.1:4222';
const WINDOW = 20_000;
const REPORT_EVERY = 2048;

// A Binance aggTrade from the recorded capture, normalized; an L2 delta with 10 levels a side.
const TRADE = {
  v: 1,
  venue: 'binance',
  symbol: 'BTC-USDT',
  id: '2180127096',
  price: '59470.01000000',
  size: '0.00074000',
  side: 'sell',
  ts: 1634145413113,
  recvTs: 1634145413285123,
};
const levels = (base) => Array.from({ length: 10 }, (_, i) => [(base + i * 0.1).toFixed(2), (1 + i / 7).toFixed(8)]);
const L2 = {
  v: 1,
  venue: 'kraken',
  symbol: 'BTC-USD',
  snapshot: false,
  bids: levels(57000),
  asks: levels(57010),
  seq: 5,
  prevSeq: 4,
  ts: 1634145413113,
  recvTs: 1634145413285123,
};

if (values.child === 'publisher') await publisher(values.prefix);
else await main();

/** Publishes the requested payload as fast as the subscriber keeps up (bounded window). */
async function publisher(prefix) {
  const nc = await connect({ servers: NATS, name: 'bench-publisher' });
  const sc = StringCodec();
  let consumed = 0;
  let sent = 0;
  let job;
  nc.subscribe(`${prefix}bench.progress`, { callback: (_e, m) => (consumed = Number(sc.decode(m.data))) });
  nc.subscribe(`${prefix}bench.ctl`, {
    callback: (_e, m) => {
      const [cmd, subject, kind] = sc.decode(m.data).split(' ');
      if (cmd === 'start') {
        const message = kind === 'l2' ? L2 : TRADE;
        // The Nest path needs Nest's envelope ({ pattern, data }); the data plane takes the message itself.
        const payload = sc.encode(JSON.stringify(kind === 'nest' ? { pattern: subject, data: message } : message));
        job = { subject, payload };
        sent = 0;
        consumed = 0;
      } else if (cmd === 'stop') job = undefined;
      else if (cmd === 'exit') void nc.drain().then(() => process.exit(0));
      m.respond(sc.encode('ok'));
    },
  });
  await nc.flush();
  process.stdout.write('ready\n');
  const pump = () => {
    if (job) {
      for (let i = 0; i < 1000 && sent - consumed < WINDOW; i++, sent++) nc.publish(job.subject, job.payload);
    }
    setImmediate(pump);
  };
  pump();
  setTimeout(() => process.exit(0), (seconds * rounds * 12 + 60) * 1000).unref();
}

async function bundle() {
  const outfile = join(root, 'dist', 'benchmarks', 'data-plane-lib.cjs');
  await build({
    stdin: {
      contents: `export * from '@cryptoscalp/messaging';\nexport { NatsTransportServer } from './libs/platform/src/lib/nats-transport.server';\n`,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile,
    tsconfig: join(root, 'tsconfig.base.json'),
    logLevel: 'error',
    plugins: [
      {
        name: 'node-modules-external',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@cryptoscalp/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
  return require(outfile);
}

async function main() {
  const lib = await bundle();
  const prefix = `bench${randomBytes(3).toString('hex')}.`;
  const pub = spawn(
    process.execPath,
    [fileURLToPath(import.meta.url), '--child', 'publisher', '--prefix', prefix, '--seconds', String(seconds), '--rounds', String(rounds)],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise((resolve) => pub.stdout.once('data', resolve));
  const ctl = await connect({ servers: NATS, name: 'bench-ctl' });
  const sc = StringCodec();
  const command = (text) => ctl.request(`${prefix}bench.ctl`, sc.encode(text), { timeout: 30_000 });

  const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
  const connector = new lib.NatsConnector({ servers: [NATS], name: 'bench-data-plane', subjectPrefix: prefix, logger: quiet });
  const nc = await connector.connection();
  const progress = `${prefix}bench.progress`;

  // Each variant subscribes, counts, reports progress every REPORT_EVERY messages, and unsubscribes.
  const variants = {
    'bare nats + JSON.parse': (subject, state) => {
      const dec = new TextDecoder();
      const sub = nc.subscribe(subject, {
        callback: (_e, m) => {
          const v = JSON.parse(dec.decode(m.data));
          if (v.v === 1 && (++state.count & (REPORT_EVERY - 1)) === 0) nc.publish(progress, sc.encode(String(state.count)));
        },
      });
      return () => sub.unsubscribe();
    },
    'data plane subscribe (hand-written validator)': (subject, state, kind) => {
      const sub = connector.subscribe(
        subject,
        () => {
          if ((++state.count & (REPORT_EVERY - 1)) === 0) nc.publish(progress, sc.encode(String(state.count)));
        },
        { schema: kind === 'l2' ? lib.L2Schema : lib.TradeSchema },
      );
      return () => sub.unsubscribe();
    },
    'data plane subscribe (zod schema)': (subject, state, kind) => {
      const schema = kind === 'l2' ? lib.L2Schema : lib.TradeSchema;
      const sub = connector.subscribe(
        subject,
        () => {
          if ((++state.count & (REPORT_EVERY - 1)) === 0) nc.publish(progress, sc.encode(String(state.count)));
        },
        { decoder: { decode: (d, s) => lib.decodeJson(schema, d, s) } },
      );
      return () => sub.unsubscribe();
    },
    'data plane subscribeBatch (hand-written validator)': (subject, state, kind) => {
      const sub = connector.subscribeBatch(
        subject,
        (batch) => {
          const before = state.count;
          state.count += batch.length;
          if (Math.floor(state.count / REPORT_EVERY) !== Math.floor(before / REPORT_EVERY))
            nc.publish(progress, sc.encode(String(state.count)));
        },
        { schema: kind === 'l2' ? lib.L2Schema : lib.TradeSchema, maxBatch: 1000, maxPending: WINDOW * 2 },
      );
      return () => sub.unsubscribe();
    },
    'Nest @EventPattern via NatsTransportServer': (subject, state) => nestPath(lib, connector, subject, state, progress, nc, sc),
  };
  const plan = [
    ['trade', Object.keys(variants)],
    ['l2', Object.keys(variants).filter((v) => !v.startsWith('Nest'))],
  ];

  const results = {};
  for (const [kind, names] of plan) {
    for (let round = 0; round < rounds; round++) {
      for (const name of names) {
        const subject = `${prefix}md.${kind}.bench.${name.replace(/[^a-z]/gi, '')}${round}`;
        const state = { count: 0 };
        const stop = await variants[name](subject, state, kind);
        await nc.flush();
        await command(`start ${subject} ${name.startsWith('Nest') ? 'nest' : kind}`);
        // Warm up 0.5 s, then measure.
        await new Promise((r) => setTimeout(r, 500));
        const c0 = state.count;
        const t0 = process.hrtime.bigint();
        const cpu0 = process.cpuUsage();
        await new Promise((r) => setTimeout(r, seconds * 1000));
        const n = state.count - c0;
        const rate = (n * 1e9) / Number(process.hrtime.bigint() - t0);
        const cpu = process.cpuUsage(cpu0);
        const perCpuSecond = (n * 1e6) / (cpu.user + cpu.system);
        await command('stop');
        await stop();
        const r = (results[`${kind}: ${name}`] ??= { wall: [], cpu: [] });
        r.wall.push(Math.round(rate));
        r.cpu.push(Math.round(perCpuSecond));
        process.stdout.write(
          `${kind.padEnd(5)} ${name.padEnd(52)} round ${round + 1}: ${Math.round(rate).toLocaleString('en-US').padStart(9)} msg/s, ${Math.round(perCpuSecond).toLocaleString('en-US').padStart(9)} msg per CPU-second\n`,
        );
      }
    }
  }
  await command('exit').catch(() => undefined);
  await ctl.close();
  await connector.close();

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rows = Object.entries(results).map(([name, r]) => ({
    name,
    msgPerSecond: median(r.wall),
    msgPerCpuSecond: median(r.cpu),
    runs: r,
  }));
  for (const row of rows) {
    const [kind] = row.name.split(':');
    const bare = rows.find((r) => r.name === `${kind}: bare nats + JSON.parse`);
    row.ofBare = Math.round((row.msgPerCpuSecond / bare.msgPerCpuSecond) * 100) / 100;
    row.ofBareWall = Math.round((row.msgPerSecond / bare.msgPerSecond) * 100) / 100;
  }
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    secondsPerPhase: seconds,
    rounds,
    window: WINDOW,
    results: rows,
  };
  const dir = join(root, 'benchmarks', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'data-plane.json'), `${JSON.stringify(report, null, 2)}\n`);
  const fmt = (x) => x.toLocaleString('en-US');
  const md = [
    '# NATS data plane throughput',
    '',
    `${report.date}, Node ${report.node}, ${report.cpus} cores (${report.cpu}), shared with other work. One publisher process,`,
    `one subscriber process, NATS on 127.0.0.1:4222; median of ${rounds} rounds of ${seconds} s per row (publisher at most ${WINDOW} messages ahead).`,
    '',
    '| payload: path | msg per CPU-second | of bare (CPU) | msg/s (wall) | of bare (wall) | runs, msg per CPU-second |',
    '|---|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${fmt(r.msgPerCpuSecond)} | ${r.ofBare} | ${fmt(r.msgPerSecond)} | ${r.ofBareWall} | ${r.runs.cpu.map(fmt).join(', ')} |`,
    ),
    '',
    'Bare = a `nats` subscription callback doing `JSON.parse` only (no validation): the ceiling.',
    'Data plane = `NatsConnector.subscribe` with the contract (`TradeSchema`/`L2Schema` select the hand-written validators);',
    'the zod row validates the same messages with `decodeJson(schema)`. "msg per CPU-second" divides the messages handled by the',
    "subscriber process's own CPU time (user + system, NATS socket reading included): on a machine shared with other work it",
    'is the stable figure; wall-clock msg/s swings with the neighbours. Command: `node benchmarks/data-plane.mjs`.',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'data-plane.md'), md);
  process.stdout.write(`\n${md}`);
  process.exit(0);
}

/** The Nest path: a microservice whose controller has an @EventPattern, on NatsTransportServer. */
async function nestPath(lib, connector, subject, state, progress, nc, sc) {
  require('reflect-metadata');
  const { Controller, Module } = require('@nestjs/common');
  const { NestFactory } = require('@nestjs/core');
  const { EventPattern } = require('@nestjs/microservices');
  class BenchController {
    onTrade(data) {
      if (data.v === 1 && (++state.count & (REPORT_EVERY - 1)) === 0) nc.publish(progress, sc.encode(String(state.count)));
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(BenchController.prototype, 'onTrade');
  EventPattern(subject)(BenchController.prototype, 'onTrade', descriptor);
  Reflect.defineMetadata('design:paramtypes', [Object], BenchController.prototype, 'onTrade');
  Controller()(BenchController);
  class BenchModule {}
  Module({ controllers: [BenchController] })(BenchModule);
  const app = await NestFactory.createMicroservice(BenchModule, { strategy: new lib.NatsTransportServer(connector), logger: false });
  await app.listen();
  return () => app.close();
}
