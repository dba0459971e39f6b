import { fixturePath, RecordingClient } from '@cryptoscalp/exchange-simulator';
import { freePort, waitFor } from '@cryptoscalp/testing';

import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(fixturePath('BINANCE.ws.1.0'), '..', '..', '..');
const main = join(root, 'dist', 'tools', 'exchange-simulator', 'main.js');

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [main, ...args], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, output: () => out };
}

describe('exchange-simulator process (production build)', () => {
  it('starts from a scenario file, serves every venue, and stops on SIGTERM', async () => {
    const port = await freePort();
    const p = run(['--scenario', 'tools/exchange-simulator/scenarios/demo.json', '--port', String(port), '--profile', 'per-event']);
    try {
      const venues = await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/api/venues`)).json() as Promise<any>, 10_000);
      expect(venues.symbols).toEqual(['BTC-USDT', 'ETH-USDT', 'SOL-USDT']);
      await waitFor(() => p.output().includes('"profile":"per-event"'), 5000);
      expect(Object.keys(venues.venues)).toEqual(['binance', 'coinbase', 'kraken', 'okx', 'bybit']);
      const c = await RecordingClient.connect(`${venues.venues.kraken.ws}`);
      c.send({ method: 'subscribe', params: { channel: 'book', symbol: ['SOL/USDT'], depth: 10 } });
      await c.until(() => c.json().find((m) => m['channel'] === 'book' && m['type'] === 'snapshot'));
      c.close();
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exited).toBe(0);
  });

  it('exits 1 with one line naming the problem for a bad scenario or flag', async () => {
    const bad = run(['--rate', 'fast']);
    expect(await bad.exited).toBe(1);
    expect(bad.output().trim()).toBe('exchange-simulator: --rate/SIM_RATE: expected a number >= 0, got "fast"');
    const profile = run(['--profile', 'fast']);
    expect(await profile.exited).toBe(1);
    expect(profile.output().trim()).toBe('exchange-simulator: --profile/SIM_PROFILE: expected one of realistic, per-event, got "fast"');
    const missing = run(['--scenario', 'nope.json']);
    expect(await missing.exited).toBe(1);
    expect(missing.output()).toMatch(/^exchange-simulator: scenario nope\.json: ENOENT/);
  });
});
