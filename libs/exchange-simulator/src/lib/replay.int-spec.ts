import { readFileSync } from 'node:fs';

import { type Simulator, startSimulator } from './simulator';
import { fixturePath, RecordingClient } from './testing/sim-client';

/** The exchange frames of a capture file read straight from the file (the oracle), with their times. */
function recorded(file: string): { t: number; text: string }[] {
  return readFileSync(fixturePath(file), 'utf8')
    .split('\n')
    .flatMap((l) => {
      const m = /^([\d.]+): (.*)$/.exec(l);
      return m ? [{ t: Number(m[1]), text: m[2] as string }] : [];
    });
}

async function withSim<T>(options: Parameters<typeof startSimulator>[0], run: (sim: Simulator) => Promise<T>): Promise<T> {
  const sim = await startSimulator({ controlPort: 0, ...options });
  try {
    return await run(sim);
  } finally {
    await sim.stop();
  }
}

describe('replay of recorded captures', () => {
  it('Binance: the recorded /stream path, only the subscribed streams, SUBSCRIBE acks, raw /ws streams, and the REST snapshots', () =>
    withSim(
      {
        ports: { binance: 0 },
        venues: ['binance'],
        replay: [{ venue: 'binance', files: [fixturePath('BINANCE.ws.1.0'), fixturePath('BINANCE.http.0.0')], speed: Infinity }],
      },
      async (sim) => {
        const frames = recorded('BINANCE.ws.1.0');
        const url = readFileSync(fixturePath('BINANCE.ws.1.0'), 'utf8').split(' <-> ')[0] as string;
        expect(sim.endpoints.binance.ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/stream$/);
        // Every recorded stream (the URL line's): exactly the recorded frames, in order.
        const all = await RecordingClient.connect(`${sim.endpoints.binance.ws}${new URL(url).search}`);
        await all.until((f) => f.length >= frames.length);
        expect(all.frames.map((f) => f.text)).toEqual(frames.map((f) => f.text));
        // One stream: only its frames.
        const depth = frames.filter((f) => f.text.startsWith('{"stream":"nknusdt@depth@100ms"')).map((f) => f.text);
        const one = await RecordingClient.connect(`${sim.endpoints.binance.ws}?streams=nknusdt@depth@100ms`);
        await one.until((f) => f.length >= depth.length);
        expect(one.frames.map((f) => f.text)).toEqual(depth);
        // SUBSCRIBE on a bare connection: the ack, then that stream.
        const ticker = frames.filter((f) => f.text.startsWith('{"stream":"blzeth@bookTicker"')).map((f) => f.text);
        const sub = await RecordingClient.connect(sim.endpoints.binance.ws);
        sub.send({ method: 'SUBSCRIBE', params: ['blzeth@bookTicker'], id: 7 });
        await sub.until((f) => f.length >= ticker.length + 1);
        expect(sub.frames.map((f) => f.text)).toEqual(['{"result":null,"id":7}', ...ticker]);
        // Raw streams (/ws/<stream>): the payloads without the combined-stream wrapper.
        const raw = await RecordingClient.connect(`${sim.endpoints.binance.rest.replace('http', 'ws')}/ws/nknusdt@depth@100ms`);
        await raw.until((f) => f.length >= depth.length);
        expect(raw.json().map((m) => JSON.stringify(m))).toEqual(depth.map((t) => JSON.stringify(JSON.parse(t).data)));
        const snap = (await (await fetch(`${sim.endpoints.binance.rest}/api/v3/depth?symbol=NKNUSDT&limit=1000`)).json()) as {
          lastUpdateId: number;
        };
        expect(snap.lastUpdateId).toBe(499869752);
        for (const c of [all, one, sub, raw]) c.close();
      },
    ));

  it('Kraken v1 is served as v1 at /, never on /v2; acks, ping/pong, and both recorded connections multiplexed by subscription', () =>
    withSim(
      {
        ports: { kraken: 0 },
        venues: ['kraken'],
        // 10×: the second subscription arrives long before the first recorded trade (13 s in, 1.3 s here).
        replay: [{ venue: 'kraken', files: [fixturePath('KRAKEN.ws.48.0'), fixturePath('KRAKEN.ws.50.0')], speed: 10 }],
      },
      async (sim) => {
        expect(sim.endpoints.kraken.ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
        await expect(RecordingClient.connect(sim.endpoints.kraken.ws.replace(/\/$/, '/v2'))).rejects.toThrow(/404/);
        // The oracle: XMR/USD frames of both files (trades in .48, the 1000-level book in .50), by time.
        const wanted = [...recorded('KRAKEN.ws.48.0'), ...recorded('KRAKEN.ws.50.0')]
          .filter((f) => f.text.startsWith('[') && f.text.endsWith('"XMR/USD"]'))
          .sort((a, b) => a.t - b.t)
          .map((f) => f.text);
        expect(wanted.some((t) => t.includes('"trade"'))).toBe(true);
        expect(wanted.some((t) => t.includes('"book-1000"'))).toBe(true);
        const c = await RecordingClient.connect(sim.endpoints.kraken.ws);
        await c.until(() => c.json().find((m) => m['event'] === 'systemStatus'));
        c.send({ event: 'ping', reqid: 5 });
        await c.until(() => c.json().find((m) => m['event'] === 'pong'));
        expect(c.json().find((m) => m['event'] === 'pong')).toEqual({ event: 'pong', reqid: 5 });
        c.send({ event: 'subscribe', pair: ['XMR/USD'], subscription: { name: 'book', depth: 1000 } });
        c.send({ event: 'subscribe', pair: ['XMR/USD'], subscription: { name: 'trade' } });
        const data = () => c.frames.map((f) => f.text).filter((t) => t.startsWith('['));
        await c.until(() => data().length >= wanted.length, 20_000);
        // The recorded acks (with the recorded channel ids of the book and trade channels).
        const acks = c.json().filter((m) => m['event'] === 'subscriptionStatus');
        expect(acks).toEqual([
          expect.objectContaining({ channelID: 992, channelName: 'book-1000', pair: 'XMR/USD', status: 'subscribed' }),
          expect.objectContaining({ channelID: 993, channelName: 'trade', pair: 'XMR/USD', status: 'subscribed' }),
        ]);
        expect(data()).toEqual(wanted);
        c.close();
      },
    ));

  it('Coinbase: subscribe → subscriptions, then only the subscribed products and channels', () =>
    withSim(
      {
        ports: { coinbase: 0 },
        venues: ['coinbase'],
        replay: [{ venue: 'coinbase', files: [fixturePath('COINBASE.ws.28.0')], speed: Infinity }],
      },
      async (sim) => {
        const wanted = recorded('COINBASE.ws.28.0')
          .map((f) => f.text)
          .filter((t) => /"type":"(snapshot|l2update)"/.test(t) && t.includes('"product_id":"SKL-USD"'));
        const c = await RecordingClient.connect(sim.endpoints.coinbase.ws);
        c.send({ type: 'subscribe', product_ids: ['SKL-USD'], channels: ['level2'] });
        await c.until((f) => f.length >= wanted.length + 1, 10_000);
        expect(JSON.parse(c.frames[0]?.text as string)).toEqual({
          type: 'subscriptions',
          channels: [{ name: 'level2', product_ids: ['SKL-USD'] }],
        });
        expect(c.frames.slice(1).map((f) => f.text)).toEqual(wanted);
        c.close();
      },
    ));

  it('plays at the recorded pace divided by speed: arrival times follow the recorded timestamps', () =>
    withSim(
      {
        ports: { coinbase: 0 },
        venues: ['coinbase'],
        replay: [{ venue: 'coinbase', files: [fixturePath('COINBASE.ws.28.0')], speed: 10 }],
      },
      async (sim) => {
        const speed = 10;
        const products = ['SKL-USD', 'BAND-GBP'];
        const wanted = recorded('COINBASE.ws.28.0').filter(
          (f) => /"type":"(snapshot|l2update)"/.test(f.text) && products.some((p) => f.text.includes(`"product_id":"${p}"`)),
        );
        const spanMs = (((wanted.at(-1)?.t ?? 0) - (wanted[0]?.t ?? 0)) * 1000) / speed;
        expect(spanMs).toBeGreaterThan(2500); // the capture spans ~30 s: ~3 s at 10×
        const c = await RecordingClient.connect(sim.endpoints.coinbase.ws);
        c.send({ type: 'subscribe', product_ids: products, channels: ['level2'] });
        await c.until((f) => f.length >= wanted.length + 1, spanMs + 10_000);
        const got = c.frames.slice(1);
        expect(got.map((f) => f.text)).toEqual(wanted.map((f) => f.text));
        // Each frame arrives when its recorded time (scaled) says. Offsets are measured from the
        // least-late frame; a busy 2-core machine may stall the loop for a moment (frames then
        // arrive late and catch up), so: the typical frame is on time, nearly all within 1.5 s.
        const t0 = (wanted[0] as { t: number }).t;
        const raw = got.map((f, i) => f.at - (((wanted[i] as { t: number }).t - t0) * 1000) / speed);
        const base = Math.min(...raw);
        const offsets = raw.map((o) => o - base).sort((a, b) => a - b);
        expect(offsets[Math.floor(offsets.length / 2)]).toBeLessThan(300);
        expect(offsets[Math.floor(offsets.length * 0.95)]).toBeLessThan(1500);
        const a0 = (got[0] as { at: number }).at;
        // Not all at once: the arrivals span (almost) the scaled recording.
        expect((got.at(-1) as { at: number }).at - a0).toBeGreaterThan(spanMs * 0.8);
        c.close();
      },
    ));
});
