import { ResilienceRegistry } from '@cryptoscalp/circuit-breaker';

import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

import { AttemptLimiter } from './attempt-limiter';
import { CoreMetadataSocket } from './metadata-socket';

describe('CoreMetadataSocket: metadata read on a short-lived WebSocket through the attempt limiter and the breaker', () => {
  let server: WebSocketServer;
  let url: string;
  let accepted = 0;
  const received: string[] = [];

  beforeAll(async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('connection', (ws, req) => {
      accepted++;
      if (req.url === '/close') return ws.close(1013, 'try later');
      ws.send('{"channel":"status"}');
      ws.on('message', (d) => {
        received.push(d.toString());
        ws.send(`{"channel":"instrument","type":"snapshot","data":{"pairs":[1,2]}}`);
      });
    });
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('sends the request, reads frames until one answers, closes; every attempt is taken from the venue limiter', async () => {
    const limiter = new AttemptLimiter(100, 60_000);
    const take = jest.spyOn(limiter, 'take');
    const breakers = new ResilienceRegistry();
    const meta = new CoreMetadataSocket(limiter, (u) => breakers.get(u) ?? breakers.create(u, {}), 5);
    const pairs = await meta.request(url, ['{"method":"subscribe"}'], (f) =>
      f.includes('instrument') ? (JSON.parse(f).data.pairs as number[]) : undefined,
    );
    expect(pairs).toEqual([1, 2]);
    expect(received).toEqual(['{"method":"subscribe"}']);
    expect(take).toHaveBeenCalledTimes(1);
  });

  it('a connection that closes before answering fails the request and counts against the endpoint breaker (open after 2)', async () => {
    const breakers = new ResilienceRegistry();
    const breaker = breakers.create('ws:test', { breaker: { window: { kind: 'consecutive', failures: 2 }, halfOpenAfterMs: 60_000 } });
    const meta = new CoreMetadataSocket(new AttemptLimiter(100, 60_000), () => breaker, 5);
    const before = accepted;
    const read = () => undefined;
    await expect(meta.request(`${url}/close`, [], read, 2000)).rejects.toThrow(/closed/);
    await expect(meta.request(`${url}/close`, [], read, 2000)).rejects.toThrow(/closed/);
    await expect(meta.request(`${url}/close`, [], read, 2000)).rejects.toThrow();
    expect(accepted - before).toBe(2); // the open breaker kept the third attempt off the venue
  });
});
