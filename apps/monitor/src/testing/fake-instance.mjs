// A stand-in service instance for the monitor's tests, run as its own process (so a test can
// SIGKILL it): heartbeats on NATS, health endpoints whose `nats` component follows its real NATS
// connection, Prometheus metrics, and (role gateway) `/v1/feeds` with a control endpoint to stall
// a symbol. Configured by environment variables (see monitor-harness.ts).
import { createServer } from 'node:http';
import { connect, Events } from 'nats';

const env = process.env;
const service = env.SERVICE;
const instance = env.INSTANCE;
const port = Number(env.HTTP_PORT);
const prefix = env.PREFIX ?? '';
const beatMs = Number(env.HEARTBEAT_MS ?? 250);
const symbols = (env.SYMBOLS ?? '').split(',').filter(Boolean);
const startedAt = Date.now();
let natsUp = false;
let forced = null; // 'warn' | 'fail' | null
const stalled = new Set();
const lastMessage = new Map(symbols.map((s) => [s, Date.now()]));
let requests = 0;

const nc = await connect({ servers: env.NATS_URL, reconnectTimeWait: 200, maxReconnectAttempts: -1, pingInterval: 1000 });
natsUp = true;
(async () => {
  for await (const s of nc.status()) {
    if (s.type === Events.Disconnect) natsUp = false;
    if (s.type === Events.Reconnect) natsUp = true;
  }
})();

function body() {
  const natsStatus = natsUp ? 'pass' : 'fail';
  const status = !natsUp || forced === 'fail' ? 'fail' : forced === 'warn' ? 'warn' : 'pass';
  const time = new Date().toISOString();
  return {
    status,
    version: '1',
    releaseId: '0.1.0',
    serviceId: `${service}/${instance}`,
    ...(status !== 'pass' ? { output: natsUp ? `forced ${forced}` : 'nats: disconnected' } : {}),
    checks: {
      'nats:responseTime': [{ componentId: 'nats', componentType: 'datastore', status: natsStatus, observedValue: 0.5, observedUnit: 'ms', critical: true, time, ...(natsUp ? {} : { output: 'NATS is disconnected' }) }],
      'app:state': [{ componentId: 'app', componentType: 'component', status: forced ?? 'pass', critical: true, time }],
    },
  };
}

function metrics() {
  requests++;
  return [
    '# HELP cs_fake_requests_total Requests served',
    '# TYPE cs_fake_requests_total counter',
    `cs_fake_requests_total{service="${service}",instance="${instance}",route="/x"} ${requests * 10}`,
    '# HELP cs_fake_latency_seconds Latency',
    '# TYPE cs_fake_latency_seconds histogram',
    `cs_fake_latency_seconds_bucket{le="0.1",service="${service}",instance="${instance}"} 3`,
    `cs_fake_latency_seconds_bucket{le="+Inf",service="${service}",instance="${instance}"} 4`,
    `cs_fake_latency_seconds_sum{service="${service}",instance="${instance}"} 1.5`,
    `cs_fake_latency_seconds_count{service="${service}",instance="${instance}"} 4`,
    '',
  ].join('\n');
}

function feeds() {
  const now = Date.now();
  return {
    feeds: symbols.map((sym, i) => {
      const [venue, symbol] = sym.split(':');
      if (!stalled.has(sym)) lastMessage.set(sym, now);
      return {
        venue,
        symbol,
        state: 'connected',
        lastMessageAgeMs: now - lastMessage.get(sym),
        rates: stalled.has(sym) ? { trade: 0, l1: 0, l2: 0 } : { trade: 5 + (i % 3), l1: 20, l2: 40 },
        seq: 1000 + i,
        latencyMs: 2 + (i % 4) * 0.1,
        counters: { gaps: 0, resyncs: 0, checksumMismatches: 0 },
      };
    }),
  };
}

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  const json = (code, value, type = 'application/json') => {
    res.writeHead(code, { 'content-type': type });
    res.end(JSON.stringify(value));
  };
  if (url === '/health/readiness') {
    const b = body();
    return json(b.status === 'fail' ? 503 : 200, b, 'application/health+json');
  }
  if (url === '/health/components') return json(200, body(), 'application/health+json');
  if (url === '/health/metrics' || url === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    return res.end(metrics());
  }
  if (url === '/v1/feeds' && symbols.length) return json(200, feeds());
  if (url === '/control' && req.method === 'POST') {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const cmd = JSON.parse(data || '{}');
      if (cmd.stall) stalled.add(cmd.stall);
      if (cmd.resume) stalled.delete(cmd.resume);
      if ('force' in cmd) forced = cmd.force;
      json(200, { ok: true });
    });
    return;
  }
  json(404, { error: 'not found' });
});
server.listen(port, '127.0.0.1', () => {
  const beat = () => {
    if (!natsUp) return;
    nc.publish(
      `${prefix}svc.heartbeat.${service}.${instance}`,
      JSON.stringify({ v: 1, service, instance, version: '0.1.0', healthUrl: `http://127.0.0.1:${port}/health`, status: body().status, startedAt, time: Date.now() }),
    );
  };
  beat();
  setInterval(beat, beatMs);
  process.stdout.write(`ready ${port}\n`);
});
