import { loadScenario, parseProfile, type SimulatorOptions, startSimulator, VENUE_NAMES } from '@cryptoscalp/exchange-simulator';

import { parseArgs } from 'node:util';

/**
 * The exchange simulator as a process:
 *   npx nx serve exchange-simulator -- --scenario scenarios/faults.json
 *   node dist/tools/exchange-simulator/main.js --rate 200 --symbols BTC-USDT,ETH-USDT --profile per-event
 * Flags win over the scenario file; env: HTTP_PORT (control API), SIM_HOST, SIM_SEED, SIM_RATE, SIM_SYMBOLS,
 * SIM_PROFILE (realistic | per-event).
 */
function options(): SimulatorOptions {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      seed: { type: 'string' },
      rate: { type: 'string' },
      symbols: { type: 'string' },
      profile: { type: 'string' },
    },
    allowPositionals: false,
  });
  const env = process.env;
  const base: SimulatorOptions = values.scenario ? loadScenario(values.scenario) : {};
  const num = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: expected a number >= 0, got "${v}"`);
    return n;
  };
  const symbols = values.symbols ?? env['SIM_SYMBOLS'];
  const profile = values.profile ?? env['SIM_PROFILE'];
  const port = num('--port/HTTP_PORT', values.port ?? env['HTTP_PORT']);
  const basePort = port ?? 9100;
  return {
    ...base,
    host: values.host ?? env['SIM_HOST'] ?? base.host ?? '127.0.0.1',
    controlPort: basePort,
    ports: Object.fromEntries(VENUE_NAMES.map((v, i) => [v, basePort === 0 ? 0 : basePort + 1 + i])),
    seed: num('--seed/SIM_SEED', values.seed ?? env['SIM_SEED']) ?? base.seed,
    rate: num('--rate/SIM_RATE', values.rate ?? env['SIM_RATE']) ?? base.rate,
    symbols: symbols ? symbols.split(',').map((s) => s.trim().toUpperCase()) : base.symbols,
    profile: profile ? parseProfile(profile, '--profile/SIM_PROFILE') : base.profile,
  };
}

async function main(): Promise<void> {
  let opts: SimulatorOptions;
  try {
    opts = options();
  } catch (err) {
    process.stderr.write(`exchange-simulator: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const sim = await startSimulator(opts);
  const log = (msg: string, extra: Record<string, unknown> = {}) =>
    process.stdout.write(
      `${JSON.stringify({ level: 30, time: new Date().toISOString(), service: 'exchange-simulator', msg, ...extra })}\n`,
    );
  log(`exchange simulator listening; control API ${sim.controlUrl}`, {
    venues: sim.endpoints,
    symbols: sim.instruments.map((i) => i.symbol),
    profile: sim.venueOptions.profile,
  });
  const stop = (signal: string) => {
    log(`${signal}: stopping`);
    sim.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

void main().catch((err: Error) => {
  process.stderr.write(`exchange-simulator: failed to start: ${err.message}\n`);
  process.exit(1);
});
