import { INFRA, testNamespace, waitFor } from '@cryptoscalp/testing';

import { AckPolicy, type JetStreamManager } from 'nats';

import { encodeJson } from './codec';
import { consumeBatches, ensureConsumer, ensureKv, ensureStream, JetStreamPublisher, type JsBatch, tradesStreamSpec } from './jetstream';
import { type Trade, TradeSchema } from './messages';
import { NatsConnector } from './nats-connection';
import { dedupId, STREAMS, Subjects } from './subjects';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const trade = (i: number): Trade => ({
  v: 1,
  venue: 'binance',
  symbol: 'BTC-USDT',
  id: String(i),
  price: '59470.01000000',
  size: '0.00074000',
  side: 'buy',
  ts: 1634145413113,
  recvTs: 1634145413285123,
});

describe('JetStream helpers (real NATS, own namespace per test)', () => {
  let nats: NatsConnector;
  let jsm: JetStreamManager;
  const streams: string[] = [];

  beforeAll(async () => {
    nats = new NatsConnector({ servers: [INFRA.natsUrl], name: 'spec-js', logger: quiet });
    jsm = await (await nats.connection()).jetstreamManager();
  });
  afterAll(async () => {
    for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
    await nats.close();
  });

  function namespace(label: string): Subjects {
    const subjects = new Subjects(testNamespace(label).subjectPrefix);
    streams.push(subjects.stream(STREAMS.trades));
    return subjects;
  }

  it('ensureStream creates the namespaced trades stream once under concurrent creators, and updates it', async () => {
    const subjects = namespace('es');
    const spec = tradesStreamSpec(subjects, { max_age: 3600 * 1e9 });
    const infos = await Promise.all(Array.from({ length: 5 }, () => ensureStream(jsm, spec)));
    expect(new Set(infos.map((i) => i.config.name))).toEqual(new Set([`${subjects.prefix.slice(0, -1)}_MD_TRADES`]));
    expect(infos[0]?.config.subjects).toEqual([`${subjects.prefix}md.trade.>`]);
    const updated = await ensureStream(jsm, { ...spec, max_msgs: 1234 });
    expect(updated.config.max_msgs).toBe(1234);
    expect((await jsm.streams.info(spec.name)).config.max_msgs).toBe(1234);
    // Unchanged spec: no update needed, same config back.
    expect((await ensureStream(jsm, { ...spec, max_msgs: 1234 })).config.max_msgs).toBe(1234);
  });

  it('the publisher stores 10,000 trades exactly once despite 20 re-sent dedup ids, never exceeding its window', async () => {
    const subjects = namespace('pub');
    await ensureStream(jsm, tradesStreamSpec(subjects, { max_age: 3600 * 1e9 }));
    const errors: Error[] = [];
    const publisher = new JetStreamPublisher(nats, { window: 64, onError: (e) => errors.push(e) });
    const subject = subjects.trade('binance', 'BTC-USDT');
    for (let i = 0; i < 10_000; i++) {
      await publisher.publish(subject, encodeJson(trade(i)), dedupId('binance', 'BTC-USDT', 'trade', i));
      // A replay after a reconnect: 20 trades sent again with the same ids.
      if (i % 500 === 499) await publisher.publish(subject, encodeJson(trade(i)), dedupId('binance', 'BTC-USDT', 'trade', i));
    }
    const stats = await publisher.flush();
    expect(errors).toEqual([]);
    expect(stats).toMatchObject({ published: 10_020, acked: 10_020, duplicates: 20, failed: 0 });
    expect(publisher.maxOutstanding).toBeLessThanOrEqual(64);
    const info = await jsm.streams.info(subjects.stream(STREAMS.trades));
    expect(info.state.messages).toBe(10_000);
  });

  it('the publisher surfaces failures (no stream for the subject) through onError and flush', async () => {
    const subjects = namespace('perr');
    const failed: string[] = [];
    const publisher = new JetStreamPublisher(nats, { window: 4, onError: (_e, _s, id) => failed.push(id) });
    for (let i = 0; i < 3; i++) await publisher.publish(subjects.trade('okx', 'BTC-USDT'), encodeJson(trade(i)), `id-${i}`);
    await expect(publisher.flush()).rejects.toThrow(/3 JetStream publish\(es\) failed/);
    expect(failed).toEqual(['id-0', 'id-1', 'id-2']);
  });

  it('a batch that throws before its commit is redelivered; the committed set is every trade exactly once; bad payloads are terminated', async () => {
    const subjects = namespace('con');
    const stream = subjects.stream(STREAMS.trades);
    await ensureStream(jsm, tradesStreamSpec(subjects, { max_age: 3600 * 1e9 }));
    await Promise.all([1, 2, 3].map(() => ensureConsumer(jsm, stream, { durable_name: 'db', max_deliver: 5, ack_wait: 10e9 })));
    const publisher = new JetStreamPublisher(nats, { window: 128 });
    const subject = subjects.trade('binance', 'BTC-USDT');
    for (let i = 0; i < 2000; i++) await publisher.publish(subject, encodeJson(trade(i)), `t-${i}`);
    await publisher.publish(subject, new TextEncoder().encode('hello'), 'bad-1');
    await publisher.flush();

    const committed = new Map<string, number>();
    let failOnce = true;
    let redeliveredSeen = 0;
    const consumer = consumeBatches(nats, {
      stream,
      durable: 'db',
      schema: TradeSchema,
      batch: 100,
      nakDelayMs: 50,
      idleWaitMs: 20,
      logger: quiet,
      handler: async (batch: JsBatch<Trade>) => {
        redeliveredSeen += batch.items.filter((d) => d.msg.info.redelivered).length;
        if (failOnce && batch.items.some((d) => d.value.id === '1000')) {
          failOnce = false;
          throw new Error('database down'); // nothing committed
        }
        for (const d of batch.items) committed.set(d.value.id, (committed.get(d.value.id) ?? 0) + 1);
      },
    });
    try {
      await waitFor(() => committed.size === 2000, 20_000);
      await waitFor(async () => (await jsm.consumers.info(stream, 'db')).num_ack_pending === 0, 5000);
    } finally {
      await consumer.stop();
    }
    expect([...committed.values()].every((n) => n === 1)).toBe(true);
    expect([...committed.keys()].sort()).toEqual(Array.from({ length: 2000 }, (_, i) => String(i)).sort());
    expect(consumer.stats.nakBatches).toBe(1);
    expect(redeliveredSeen).toBeGreaterThan(0);
    expect(consumer.stats.invalid).toBe(1);
    const info = await jsm.consumers.info(stream, 'db');
    expect(info.num_pending).toBe(0);
    expect(info.delivered.stream_seq).toBe(2001);
  });

  it('stops pulling while the handler is slow: the server holds the rest, never the client', async () => {
    const subjects = namespace('slow');
    const stream = subjects.stream(STREAMS.trades);
    await ensureStream(jsm, tradesStreamSpec(subjects, { max_age: 3600 * 1e9 }));
    await ensureConsumer(jsm, stream, { durable_name: 'slow', ack_wait: 30e9 });
    const publisher = new JetStreamPublisher(nats);
    for (let i = 0; i < 1000; i++) await publisher.publish(subjects.trade('bybit', 'SOL-USDT'), encodeJson(trade(i)), `s-${i}`);
    await publisher.flush();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const consumer = consumeBatches(nats, {
      stream,
      durable: 'slow',
      schema: TradeSchema,
      batch: 50,
      logger: quiet,
      handler: async () => {
        calls++;
        await gate;
      },
    });
    try {
      await waitFor(() => calls === 1, 5000);
      // The handler is stuck: wait (500 ms deadline) for any sign of a second batch — another
      // handler call or more messages handed out — and find none.
      const moreOut = async () => calls > 1 || (await jsm.consumers.info(stream, 'slow')).num_ack_pending !== 50;
      await expect(waitFor(moreOut, 500)).rejects.toThrow(/timed out/);
      const info = await jsm.consumers.info(stream, 'slow');
      expect([info.num_ack_pending, info.num_pending, calls]).toEqual([50, 950, 1]);
    } finally {
      release();
      await consumer.stop();
    }
  });

  async function filled(
    label: string,
    n: number,
    durable: string,
    extra: Parameters<typeof ensureConsumer>[2] extends infer S ? Partial<S> : never = {},
  ) {
    const subjects = namespace(label);
    const stream = subjects.stream(STREAMS.trades);
    await ensureStream(jsm, tradesStreamSpec(subjects, { max_age: 3600 * 1e9 }));
    await ensureConsumer(jsm, stream, { durable_name: durable, ack_wait: 30e9, ...extra });
    const publisher = new JetStreamPublisher(nats, { window: 256 });
    for (let i = 0; i < n; i++) await publisher.publish(subjects.trade('okx', 'ETH-USDT'), encodeJson(trade(i)), `${label}-${i}`);
    await publisher.flush();
    return stream;
  }

  it('prefetch holds at most one more batch while the handler is slow (two batches pending on the server, never more)', async () => {
    const stream = await filled('pre', 1000, 'pre');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const consumer = consumeBatches(nats, {
      stream,
      durable: 'pre',
      schema: TradeSchema,
      batch: 50,
      prefetch: true,
      idleWaitMs: 10,
      logger: quiet,
      handler: async () => {
        calls++;
        await gate;
      },
    });
    try {
      await waitFor(async () => (await jsm.consumers.info(stream, 'pre')).num_ack_pending === 100, 5000);
      // Wait (500 ms deadline) for a third batch or a second handler call, and find neither.
      const moreOut = async () => calls > 1 || (await jsm.consumers.info(stream, 'pre')).num_ack_pending !== 100;
      await expect(waitFor(moreOut, 500)).rejects.toThrow(/timed out/);
      const info = await jsm.consumers.info(stream, 'pre');
      expect([info.num_ack_pending, info.num_pending, calls]).toEqual([100, 900, 1]);
      expect(consumer.stats.maxBatchesHeld).toBe(2);
    } finally {
      release();
      await consumer.stop();
    }
    expect(consumer.stats.maxBatchesHeld).toBeLessThanOrEqual(2);
  });

  it('with prefetch, handlers run one at a time in stream order and a batch is acknowledged only after its handler committed, before the next handler starts', async () => {
    const stream = await filled('ord', 600, 'ord');
    const seen: number[] = [];
    const violations: string[] = [];
    let running = 0;
    const consumer = consumeBatches(nats, {
      stream,
      durable: 'ord',
      schema: TradeSchema,
      batch: 40,
      prefetch: true,
      idleWaitMs: 10,
      logger: quiet,
      handler: async (batch: JsBatch<Trade>) => {
        if (++running > 1) violations.push('two handlers at once');
        const first = batch.items[0]?.msg.info.streamSequence ?? 0;
        // Everything before this batch is acknowledged (previous commits; the server applies acks
        // asynchronously, so its floor may trail for a moment), nothing of this batch yet.
        let floor = 0;
        await waitFor(async () => (floor = (await jsm.consumers.info(stream, 'ord')).ack_floor.stream_seq) >= first - 1, 3000, 10).catch(
          () => undefined,
        );
        if (floor !== first - 1) violations.push(`floor ${floor} at batch starting ${first}`);
        await new Promise((r) => setImmediate(r)); // "commit": let the prefetch run meanwhile"
        for (const d of batch.items) seen.push(d.msg.info.streamSequence);
        running--;
      },
    });
    try {
      await waitFor(() => seen.length === 600, 20_000);
      await waitFor(async () => (await jsm.consumers.info(stream, 'ord')).num_ack_pending === 0, 5000);
    } finally {
      await consumer.stop();
    }
    expect(violations).toEqual([]);
    expect(seen).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    expect((await jsm.consumers.info(stream, 'ord')).ack_floor.stream_seq).toBe(600);
  });

  it('refuses a durable whose ack policy is not explicit: nothing is consumed, the cause is logged', async () => {
    const stream = await filled('aa', 50, 'aa', { ack_policy: AckPolicy.All });
    const warnings: string[] = [];
    let handled = 0;
    const consumer = consumeBatches(nats, {
      stream,
      durable: 'aa',
      schema: TradeSchema,
      idleWaitMs: 10,
      logger: { ...quiet, warn: (m: string) => void warnings.push(m) },
      handler: () => void handled++,
    });
    try {
      await waitFor(() => warnings.some((w) => w.includes('needs explicit acks')), 10_000);
      expect(handled).toBe(0);
      expect((await jsm.consumers.info(stream, 'aa')).num_pending).toBe(50);
    } finally {
      await consumer.stop();
    }
  });

  it('ensureKv opens one namespaced bucket under concurrent creators', async () => {
    const subjects = new Subjects(testNamespace('kv').subjectPrefix);
    const bucket = subjects.kv('latest');
    streams.push(`KV_${bucket}`);
    const [a, b] = await Promise.all([
      ensureKv((await nats.connection()).jetstream(), bucket, { history: 1 }),
      ensureKv((await nats.connection()).jetstream(), bucket, { history: 1 }),
    ]);
    await a?.put('binance.BTC-USDT', encodeJson({ px: '1' }));
    expect((await b?.get('binance.BTC-USDT'))?.json()).toEqual({ px: '1' });
    expect(bucket).toBe(`${subjects.prefix.slice(0, -1)}_latest`);
  });
});
