import { type Simulator, startSimulator } from './simulator';
import { RecordingClient, until } from './testing/sim-client';

const RATE = 1000;

/**
 * A real venue disconnects a client that reads slower than the feed and keeps serving the
 * others. Before the fix, one paused socket with 8 MB queued paused the whole venue's markets:
 * every healthy client of that venue dropped to zero frames.
 */
describe('slow consumer', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({
      controlPort: 0,
      ports: { binance: 0 },
      venues: ['binance'],
      rate: RATE,
      seed: 5,
      profile: 'per-event',
      venueOptions: { maxQueuedBytesPerConnection: 512 * 1024 },
    });
  });
  afterAll(() => sim.stop());

  it('is disconnected (1008) once its queue passes the limit; a healthy client keeps receiving at the configured rate', async () => {
    const base = sim.endpoints.binance.rest.replace('http', 'ws');
    // Many streams of both symbols: the slow client's queue fills within seconds.
    const streams = ['btcusdt', 'ethusdt'].flatMap((s) =>
      ['depth', 'depth@100ms', 'trade', 'aggTrade', 'bookTicker'].map((k) => `${s}@${k}`),
    );
    const slow = await RecordingClient.connect(`${base}/stream?streams=${streams.join('/')}`);
    slow.ws.pause(); // stops reading: the kernel buffers fill, then the server's queue grows
    const healthy = await RecordingClient.connect(`${base}/ws/btcusdt@depth`);
    const started = Date.now();
    const slowId = await until(
      async () => {
        const c = (await (await fetch(`${sim.controlUrl}/api/connections`)).json()) as any;
        return c.disconnected.find((d: any) => d.reason === 'slow_consumer')?.id as number | undefined;
      },
      30_000,
      'the slow client to be disconnected',
    );
    const disconnectedAt = Date.now();
    slow.ws.resume();
    expect(await slow.closed(10_000)).toBe(1008);
    expect(slow.closeReason).toMatch(/slow consumer/);

    // The healthy client is untouched and still receives the feed after the disconnect.
    await healthy.until((f) => f.some((x) => x.at > disconnectedAt + 1000), 10_000);
    expect(healthy.closeCode).toBeUndefined();
    // Per-event profile: one depth frame per book-changing market event (almost every event), so
    // every second of the run carries up to RATE frames; a paused market gives empty seconds.
    // The bound is loose on purpose: a starved CI machine generates fewer events, never none.
    const perSecond: number[] = [];
    for (let t = started + 500; t + 1000 <= disconnectedAt + 1000; t += 1000) {
      perSecond.push(healthy.frames.filter((f) => f.at >= t && f.at < t + 1000).length);
    }
    expect(perSecond.length).toBeGreaterThanOrEqual(1);
    for (const n of perSecond) expect(n).toBeGreaterThan(RATE * 0.1);

    const conns = (await (await fetch(`${sim.controlUrl}/api/connections`)).json()) as any;
    expect(conns.connections.map((c: any) => c.id)).not.toContain(slowId);
    expect(conns.disconnected.find((d: any) => d.id === slowId).queuedBytes).toBeGreaterThan(512 * 1024);
    const truth = (await (await fetch(`${sim.controlUrl}/api/ground-truth`)).json()) as any;
    expect(truth.disconnects).toEqual({ binance: { slow_consumer: 1 } });
    healthy.close();
  }, 60_000);
});
