import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

import { FaultEngine } from '../faults';
import { RecordingClient } from '../testing/sim-client';
import { encodeTextFrames, SimConnection } from './sim-connection';

const FRAMES = [
  '',
  'x',
  '{"e":"trade","s":"BTCUSDT"}',
  'a'.repeat(125),
  'b'.repeat(126),
  'c'.repeat(65_535),
  'd'.repeat(65_536),
  '{"msg":"prix élevé – 価格"}',
  'é'.repeat(70),
];

/** Frames sent through SimConnection (one socket write per turn) as a `ws` client reads them. */
describe('SimConnection framing', () => {
  let wss: WebSocketServer;
  let url: string;
  let next: (ws: WebSocket) => void;
  beforeAll(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    wss.on('connection', (ws) => next(ws));
    await new Promise((r) => wss.once('listening', r));
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => wss.close(r)));

  it('delivers every length class (7, 16, 64-bit) and UTF-8 text in order, then pings and closes after them', async () => {
    const accepted = new Promise<SimConnection>((resolve) => {
      next = (ws) => resolve(new SimConnection(1, 'binance', ws, new FaultEngine()));
    });
    const client = await RecordingClient.connect(url);
    let pinged = 0;
    client.ws.on('ping', () => (pinged = client.frames.length));
    const conn = await accepted;
    for (const f of FRAMES) expect(conn.send(f)).toBe(true);
    expect(conn.queuedBytes).toBeGreaterThanOrEqual(FRAMES.reduce((n, f) => n + f.length, 0));
    conn.ping(); // after the frames of this turn
    for (const f of FRAMES) conn.send(`2:${f}`);
    conn.close(1000, 'done'); // the frames of this turn leave before the close frame
    expect(await client.closed(10_000)).toBe(1000);
    expect(client.frames.map((f) => f.text)).toEqual([...FRAMES, ...FRAMES.map((f) => `2:${f}`)]);
    expect(pinged).toBe(FRAMES.length);
    expect(conn.sent).toBe(2 * FRAMES.length);
  });

  it('encodes the frame header lengths of RFC 6455 (2, 4 or 10 bytes before the payload)', () => {
    const buf = encodeTextFrames(['a'.repeat(125), 'b'.repeat(126), 'c'.repeat(65_536)]);
    expect([buf[0], buf[1]]).toEqual([0x81, 125]);
    expect([buf[127], buf[128], buf.readUInt16BE(129)]).toEqual([0x81, 126, 126]);
    const third = 127 + 4 + 126;
    expect([buf[third], buf[third + 1], buf.readBigUInt64BE(third + 2)]).toEqual([0x81, 127, 65_536n]);
    expect(buf.length).toBe(third + 10 + 65_536);
  });
});
