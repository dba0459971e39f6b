import { INFRA, testNamespace, waitFor } from '@cryptoscalp/testing';

import { decodeJson } from './codec';
import { HeartbeatPublisher } from './heartbeat';
import { HeartbeatSchema } from './messages';
import { NatsConnector, type NatsState } from './nats-connection';
import { Subjects } from './subjects';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('NatsConnector (real NATS)', () => {
  const ns = testNamespace('nc');
  const subjects = new Subjects(ns.subjectPrefix);

  it('connects, reports state changes, publishes and measures RTT', async () => {
    const states: NatsState[] = [];
    const nats = new NatsConnector({ servers: [INFRA.natsUrl], name: 'spec', onStateChange: (s) => states.push(s) });
    const nc = await nats.connection();
    expect(nats.state).toBe('connected');
    const sub = nc.subscribe(subjects.trade('binance', 'BTC-USDT'), { max: 1 });
    expect(nats.publish(subjects.trade('binance', 'BTC-USDT'), new TextEncoder().encode('{"x":1}'))).toBe(true);
    for await (const m of sub) expect(m.string()).toBe('{"x":1}');
    expect(await nats.rtt()).toBeGreaterThanOrEqual(0);
    await nats.close();
    expect(states).toEqual(['connected', 'closed']);
  });

  it('keeps trying while the server is unreachable, refuses to publish, and closes cleanly', async () => {
    const nats = new NatsConnector({ servers: ['nats://127.0.0.1:1'], name: 'spec-down', reconnectTimeWaitMs: 50, logger: quiet });
    // At least two attempts have failed: it is still trying, not given up.
    await waitFor(() => nats.error !== undefined, 5000);
    await waitFor(() => nats.error !== undefined && nats.state === 'connecting', 5000);
    expect(nats.state).toBe('connecting');
    expect(nats.publish('x', new Uint8Array())).toBe(false);
    await expect(nats.rtt()).rejects.toThrow(/NATS is connecting/);
    await nats.close();
    expect(nats.state).toBe('closed');
  });

  it('publishes heartbeats that validate against the contract', async () => {
    const nats = new NatsConnector({ servers: [INFRA.natsUrl], name: 'spec-hb' });
    const nc = await nats.connection();
    const sub = nc.subscribe(subjects.heartbeat('monitor', 'm1'), { max: 2 });
    const hb = new HeartbeatPublisher(nats, subjects, {
      service: 'monitor',
      instance: 'm1',
      version: '1.2.3',
      healthUrl: 'http://127.0.0.1:3000/health',
      intervalMs: 50,
      status: () => 'warn',
    });
    hb.start();
    const beats = [];
    for await (const m of sub) beats.push(decodeJson(HeartbeatSchema, m.data, m.subject));
    hb.stop();
    expect(beats).toHaveLength(2);
    expect(beats[0]).toMatchObject({ service: 'monitor', instance: 'm1', version: '1.2.3', status: 'warn' });
    await waitFor(() => hb.sent >= 2);
    await nats.close();
  });
});
