import { MetricsRegistry } from '@cryptoscalp/metrics';
import { INFRA, parsePrometheusText, testNamespace, waitFor } from '@cryptoscalp/testing';

import { connect, type NatsConnection } from 'nats';

import { TradeSchema } from './messages';
import type { MessagingLogger } from './messaging-logger';
import { NatsConnector } from './nats-connection';
import { Subjects } from './subjects';

const trade = (i: number) => ({
  v: 1,
  venue: 'binance',
  symbol: 'BTC-USDT',
  id: String(i),
  price: '59470.01000000',
  size: '0.00074000',
  side: i % 2 ? 'buy' : 'sell',
  ts: 1634145413113,
  recvTs: 1634145413285123,
});

async function dropped(metrics: MetricsRegistry, labels: Record<string, string>): Promise<number> {
  const family = parsePrometheusText(await metrics.exposition()).find((f) => f.name === 'cs_nats_messages_dropped_total');
  const series = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return series ? Number(series.value) : 0;
}

describe('NatsConnector.subscribe (real NATS)', () => {
  const ns = testNamespace('sub');
  const subjects = new Subjects(ns.subjectPrefix);
  const connectors: NatsConnector[] = [];
  let client: NatsConnection;
  const warnings: string[] = [];
  const logger: MessagingLogger = { log: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };

  const connector = (name: string, metrics = new MetricsRegistry({ service: 's', instance: name, defaultMetrics: false })) => {
    const c = new NatsConnector({ servers: [INFRA.natsUrl], name, subjectPrefix: ns.subjectPrefix, metrics, logger });
    connectors.push(c);
    return c;
  };

  beforeAll(async () => {
    client = await connect({ servers: INFRA.natsUrl });
  });
  afterAll(async () => {
    await Promise.all(connectors.map((c) => c.close()));
    await client.close();
  });

  it('decodes with the contract; counts, logs (truncated) and drops bad input; answers a bad request with an error; survives handler errors', async () => {
    const metrics = new MetricsRegistry({ service: 's', instance: 'a', defaultMetrics: false });
    const nats = connector('sub-a', metrics);
    await nats.connection();
    const got: string[] = [];
    const subject = subjects.trade('binance', 'BTC-USDT');
    const sub = nats.subscribe(
      subject,
      (t) => {
        if (t.id === '13') throw new Error('handler bug');
        got.push(t.id);
      },
      { schema: TradeSchema },
    );
    await client.flush();
    await waitFor(async () => {
      client.publish(subject, JSON.stringify(trade(0)));
      await client.flush();
      return got.length > 0;
    }, 5000);
    got.length = 0;
    client.publish(subject, 'hello');
    client.publish(subject, 'x'.repeat(5000));
    client.publish(subject, JSON.stringify({ ...trade(1), price: 1 }));
    for (let i = 10; i < 20; i++) client.publish(subject, JSON.stringify(trade(i)));
    const reply = await client.request(subject, 'hello', { timeout: 2000 });
    expect(reply.json<{ error: string }>().error).toMatch(/^invalid request: not JSON/);
    await waitFor(() => got.length === 9, 5000);
    expect(got).toEqual(['10', '11', '12', '14', '15', '16', '17', '18', '19']);
    expect(sub.stats).toMatchObject({ invalid: 4, handlerErrors: 1 });
    expect(await dropped(metrics, { subject_group: 'md.trade', reason: 'invalid' })).toBe(4);
    expect(await dropped(metrics, { subject_group: 'md.trade', reason: 'handler_error' })).toBe(1);
    // One line per 5 s at most, and never the whole 5000-byte payload.
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(Math.max(...warnings.map((w) => w.length))).toBeLessThan(700);
    await sub.drain();
  });

  it('with a queue group, N requests to two replicas are answered exactly once in total; without one, both get everything', async () => {
    const a = connector('q-a');
    const b = connector('q-b');
    await Promise.all([a.connection(), b.connection()]);
    const handled = { a: 0, b: 0 };
    const query = subjects.query('cache', 'l1');
    const queue = subjects.queueGroup('cache-service');
    const answer = (who: 'a' | 'b') => (_: Uint8Array, msg: { respond(d: Uint8Array): boolean }) => {
      handled[who]++;
      msg.respond(new TextEncoder().encode(who));
    };
    const sa = a.subscribe(query, answer('a'), { queue });
    const sb = b.subscribe(query, answer('b'), { queue });
    const perInstance = { a: 0, b: 0 };
    const status = subjects.instanceStatus('cache-service', 'all');
    const pa = a.subscribe(status, () => void perInstance.a++);
    const pb = b.subscribe(status, () => void perInstance.b++);
    await Promise.all([a.connection().then((nc) => nc.flush()), b.connection().then((nc) => nc.flush())]);

    const replies: string[] = [];
    for (let i = 0; i < 200; i++) replies.push((await client.request(query, '', { timeout: 2000 })).string());
    for (let i = 0; i < 50; i++) client.publish(status, '');
    await client.flush();
    await waitFor(() => perInstance.a === 50 && perInstance.b === 50, 5000);
    // A PING/PONG on each replica's connection comes back after every message routed to it
    // before: a second answer to any request (the defect) has been handled by now.
    await Promise.all([a.connection().then((nc) => nc.flush()), b.connection().then((nc) => nc.flush())]);
    expect(handled.a + handled.b).toBe(200);
    expect(replies.filter((r) => r === 'a').length).toBe(handled.a);
    await Promise.all([sa.drain(), sb.drain(), pa.drain(), pb.drain()]);
  });

  it('runs async handlers with bounded concurrency, drops beyond maxPending (counted), and drain awaits work in flight', async () => {
    const nats = connector('async');
    await nats.connection();
    const subject = subjects.l1('okx', 'ETH-USDT');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    let finished = 0;
    const sub = nats.subscribe(
      subject,
      async () => {
        started++;
        await gate;
        finished++;
      },
      { concurrency: 1, maxPending: 10 },
    );
    await (await nats.connection()).flush();
    for (let i = 0; i < 100; i++) client.publish(subject, String(i));
    await client.flush();
    await waitFor(() => sub.stats.received === 100, 5000);
    // 1 running, 10 waiting, 89 dropped: the handler is never flooded and memory stays bounded.
    expect(started).toBe(1);
    expect(sub.stats.overflow).toBe(89);
    const drained = sub.drain();
    let drainDone = false;
    void drained.then(() => (drainDone = true));
    await new Promise((r) => setImmediate(r));
    expect(drainDone).toBe(false);
    release();
    await drained;
    expect(finished).toBe(11);
  });

  it('subscribeBatch hands over decoded messages in batches no larger than maxBatch, none lost', async () => {
    const nats = connector('batch');
    await nats.connection();
    const subject = subjects.trade('kraken', 'BTC-USD');
    const ids = new Set<string>();
    let biggest = 0;
    let batches = 0;
    const sub = nats.subscribeBatch(
      subject,
      async (batch) => {
        batches++;
        biggest = Math.max(biggest, batch.length);
        for (const t of batch) ids.add(t.id);
        await new Promise((r) => setTimeout(r, 1));
      },
      { schema: TradeSchema, maxBatch: 250, maxPending: 100_000 },
    );
    await (await nats.connection()).flush();
    for (let i = 0; i < 5000; i++) client.publish(subject, JSON.stringify(trade(i)));
    client.publish(subject, '{"v":2}');
    await client.flush();
    await waitFor(() => sub.stats.received === 5001, 10_000);
    await sub.drain();
    expect(ids.size).toBe(5000);
    expect(sub.stats.invalid).toBe(1);
    expect(biggest).toBeLessThanOrEqual(250);
    expect(batches).toBeGreaterThanOrEqual(20);
  });

  it('publishJson counts a drop when not connected', async () => {
    const metrics = new MetricsRegistry({ service: 's', instance: 'down', defaultMetrics: false });
    const nats = new NatsConnector({
      servers: ['nats://127.0.0.1:1'],
      name: 'down',
      subjectPrefix: ns.subjectPrefix,
      metrics,
      logger,
      reconnectTimeWaitMs: 50,
    });
    connectors.push(nats);
    expect(nats.publishJson(subjects.trade('binance', 'BTC-USDT'), trade(1))).toBe(false);
    expect(await dropped(metrics, { subject_group: 'md.trade', reason: 'disconnected' })).toBe(1);
  });
});
