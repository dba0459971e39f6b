import { freePort, killProcess, NATS_SERVER_BIN, startPrivateServer, waitFor } from '@cryptoscalp/testing';

import { connect } from 'nats';

import { NatsConnector, type NatsState } from './nats-connection';

const startServer = (port: number, ...extra: string[]) =>
  startPrivateServer(NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', String(port), ...extra]);
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

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
    const nats = new NatsConnector({ servers: [`nats://127.0.0.1:${port}`], name: 'spec-late', reconnectTimeWaitMs: 100, logger: quiet });
    // A first attempt has failed and it is still trying.
    await waitFor(() => nats.error !== undefined, 5000);
    expect(nats.state).toBe('connecting');
    const server = startServer(port);
    try {
      await waitFor(() => nats.state === 'connected', 10_000);
    } finally {
      await nats.close();
      await killProcess(server);
    }
  });

  it('builds a new connection after the client closed it (authorization errors) and re-binds subscriptions', async () => {
    const port = await freePort();
    let server = startServer(port, '--user', 'svc', '--pass', 'right');
    const nats = new NatsConnector({
      servers: [`nats://127.0.0.1:${port}`],
      name: 'spec-rebuild',
      user: 'svc',
      pass: 'right',
      reconnectTimeWaitMs: 100,
      maxBackoffMs: 300,
      unrecoverableAfterMs: 500,
      logger: quiet,
    });
    const got: string[] = [];
    nats.subscribe('rebuild.test', (data) => void got.push(new TextDecoder().decode(data)));
    const publishUntilReceived = async (text: string) => {
      const pub = await connect({ servers: `nats://127.0.0.1:${port}`, user: 'svc', pass: 'right' });
      try {
        await waitFor(async () => {
          pub.publish('rebuild.test', text);
          await pub.flush();
          return got.includes(text);
        }, 10_000);
      } finally {
        await pub.close();
      }
    };
    try {
      await nats.connection();
      await publishUntilReceived('before');
      const first = nats.connectionOrUndefined;

      // The server comes back with other credentials: the client's reconnects fail authorization
      // until it closes the connection for good (nats.js gives up after repeated auth errors).
      await killProcess(server);
      server = startServer(port, '--user', 'svc', '--pass', 'changed');
      await waitFor(() => first?.isClosed(), 15_000);
      expect(nats.state).not.toBe('connected');
      // Nothing has been rebuilt for longer than unrecoverableAfterMs: liveness should fail.
      await waitFor(() => nats.unrecoverable, 5000);

      // The right credentials again: a new connection, subscription re-bound, no restart.
      await killProcess(server);
      server = startServer(port, '--user', 'svc', '--pass', 'right');
      await waitFor(() => nats.state === 'connected', 15_000);
      expect(nats.rebuilds).toBe(1);
      expect(nats.unrecoverable).toBe(false);
      expect(nats.connectionOrUndefined).not.toBe(first);
      await publishUntilReceived('after');
      expect(got.filter((g) => g === 'after').length).toBeGreaterThanOrEqual(1);
    } finally {
      await nats.close();
      await killProcess(server);
    }
  });
});
