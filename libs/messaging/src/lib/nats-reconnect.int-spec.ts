import { freePort, killProcess, NATS_SERVER_BIN, startPrivateServer, waitFor } from '@cryptoscalp/testing';

import { NatsConnector, type NatsState } from './nats-connection';

const startServer = (port: number) => startPrivateServer(NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', String(port)]);

// A private nats-server (the binary .ci/run starts) on a free port that the test kills and
// restarts; the shared server is never touched.
describe('NatsConnector recovery (private nats-server killed and restarted)', () => {
  it('reports the outage, keeps trying, and reconnects when the server is back', async () => {
    const port = await freePort();
    let server = startServer(port);
    const states: NatsState[] = [];
    const nats = new NatsConnector({
      servers: [`nats://127.0.0.1:${port}`],
      name: 'spec-recovery',
      reconnectTimeWaitMs: 100,
      onStateChange: (s) => states.push(s),
    });
    try {
      await nats.connection();
      expect(nats.state).toBe('connected');
      await killProcess(server);
      await waitFor(() => nats.state === 'disconnected' || nats.state === 'reconnecting', 5000);
      expect(nats.publish('x', new Uint8Array())).toBe(false);
      await expect(nats.rtt()).rejects.toThrow(/NATS is (disconnected|reconnecting)/);
      server = startServer(port);
      await waitFor(() => nats.state === 'connected', 10_000);
      expect(nats.reconnects).toBe(1);
      expect(await nats.rtt()).toBeGreaterThanOrEqual(0);
      expect(states[0]).toBe('connected');
      expect(states.at(-1)).toBe('connected');
    } finally {
      await nats.close();
      await killProcess(server);
    }
  });

  it('connects once a server that was down at start comes up', async () => {
    const port = await freePort();
    const nats = new NatsConnector({ servers: [`nats://127.0.0.1:${port}`], name: 'spec-late', reconnectTimeWaitMs: 100 });
    await new Promise((r) => setTimeout(r, 300));
    expect(nats.state).toBe('connecting');
    const server = startServer(port);
    try {
      await waitFor(() => nats.state === 'connected', 10_000);
    } finally {
      await nats.close();
      await killProcess(server);
    }
  });
});
