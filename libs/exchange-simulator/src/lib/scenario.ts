import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import { parseFault } from './control-api';
import type { RateRule, ReplaySpec, SimulatorOptions } from './simulator';
import { type TrafficProfile, VENUE_NAMES, type VenueName } from './venues/venue';

export const TRAFFIC_PROFILES: readonly TrafficProfile[] = ['realistic', 'per-event'];
const NUMERIC_VENUE_OPTIONS = [
  'pingIntervalMs',
  'connectionLifetimeMs',
  'idleTimeoutMs',
  'maxConnections',
  'maxQueuedBytesPerConnection',
  'shutdownGraceMs',
];

/** Validates a traffic profile name; the error names `field`. */
export function parseProfile(value: unknown, field: string): TrafficProfile {
  if (!(TRAFFIC_PROFILES as readonly unknown[]).includes(value))
    throw new Error(`${field}: expected one of ${TRAFFIC_PROFILES.join(', ')}, got ${JSON.stringify(value)}`);
  return value as TrafficProfile;
}

/**
 * A scenario file (JSON) describes a whole simulator run:
 * ```json
 * { "seed": 7, "symbols": ["BTC-USDT"], "rate": 50,
 *   "rates": [{ "venue": "binance", "rate": 500 }],
 *   "profile": "per-event",
 *   "venueOptions": { "connectionLifetimeMs": 60000, "maxQueuedBytesPerConnection": 8388608, "shutdownGraceMs": 1000 },
 *   "faults": [{ "atMs": 5000, "type": "drop", "venue": "okx" }],
 *   "replay": [{ "venue": "binance", "files": ["../fixtures/captures/BINANCE.ws.1.0"], "speed": 10 }] }
 * ```
 * Relative replay paths are resolved against the scenario file. Errors name the field.
 */
export function parseScenario(json: unknown, baseDir = process.cwd()): SimulatorOptions {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('scenario: expected a JSON object');
  const o = json as Record<string, unknown>;
  const out: SimulatorOptions = {};
  if (o['seed'] !== undefined) {
    if (!Number.isInteger(o['seed'])) throw new Error(`scenario.seed: expected an integer, got ${JSON.stringify(o['seed'])}`);
    out.seed = o['seed'] as number;
  }
  if (o['symbols'] !== undefined) {
    if (!Array.isArray(o['symbols']) || !o['symbols'].every((s) => typeof s === 'string' && /^[A-Z0-9]{2,10}-[A-Z0-9]{2,10}$/.test(s))) {
      throw new Error('scenario.symbols: expected an array of symbols like "BTC-USDT"');
    }
    out.symbols = o['symbols'] as string[];
  }
  if (o['rate'] !== undefined) {
    if (typeof o['rate'] !== 'number' || o['rate'] < 0) throw new Error('scenario.rate: expected events per second >= 0');
    out.rate = o['rate'];
  }
  if (o['rates'] !== undefined) {
    if (!Array.isArray(o['rates'])) throw new Error('scenario.rates: expected an array of { venue?, symbol?, rate }');
    out.rates = (o['rates'] as Record<string, unknown>[]).map((r, i) => {
      if (typeof r['rate'] !== 'number' || r['rate'] < 0) throw new Error(`scenario.rates[${i}].rate: expected events per second >= 0`);
      if (r['venue'] !== undefined && !(VENUE_NAMES as readonly unknown[]).includes(r['venue']))
        throw new Error(`scenario.rates[${i}].venue: expected one of ${VENUE_NAMES.join(', ')}`);
      return r as unknown as RateRule;
    });
  }
  if (o['venues'] !== undefined) {
    if (!Array.isArray(o['venues']) || !o['venues'].every((v) => (VENUE_NAMES as readonly unknown[]).includes(v)))
      throw new Error(`scenario.venues: expected a subset of ${VENUE_NAMES.join(', ')}`);
    out.venues = o['venues'] as VenueName[];
  }
  if (o['profile'] !== undefined) out.profile = parseProfile(o['profile'], 'scenario.profile');
  if (o['venueOptions'] !== undefined) {
    const v = o['venueOptions'];
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('scenario.venueOptions: expected an object');
    for (const k of NUMERIC_VENUE_OPTIONS) {
      const n = (v as Record<string, unknown>)[k];
      if (n !== undefined && (typeof n !== 'number' || !Number.isFinite(n) || n < 0))
        throw new Error(`scenario.venueOptions.${k}: expected a number >= 0, got ${JSON.stringify(n)}`);
    }
    const profile = (v as Record<string, unknown>)['profile'];
    if (profile !== undefined) parseProfile(profile, 'scenario.venueOptions.profile');
    out.venueOptions = v as SimulatorOptions['venueOptions'];
  }
  const symbols = out.symbols ?? ['BTC-USDT', 'ETH-USDT'];
  if (o['faults'] !== undefined) {
    if (!Array.isArray(o['faults'])) throw new Error('scenario.faults: expected an array');
    out.faults = o['faults'].map((f, i) => {
      try {
        return parseFault(f, symbols);
      } catch (err) {
        throw new Error(`scenario.faults[${i}].${(err as Error).message}`);
      }
    });
  }
  if (o['replay'] !== undefined) {
    if (!Array.isArray(o['replay'])) throw new Error('scenario.replay: expected an array of { venue, files, speed? }');
    out.replay = (o['replay'] as Record<string, unknown>[]).map((r, i) => {
      if (!(VENUE_NAMES as readonly unknown[]).includes(r['venue']))
        throw new Error(`scenario.replay[${i}].venue: expected one of ${VENUE_NAMES.join(', ')}`);
      if (!Array.isArray(r['files']) || r['files'].length === 0)
        throw new Error(`scenario.replay[${i}].files: expected capture file paths`);
      const speed = r['speed'] === 'max' ? Infinity : r['speed'];
      if (speed !== undefined && (typeof speed !== 'number' || speed <= 0))
        throw new Error(`scenario.replay[${i}].speed: expected a number > 0 or "max"`);
      return {
        venue: r['venue'] as VenueName,
        files: (r['files'] as string[]).map((f) => resolve(baseDir, f)),
        speed: speed as number | undefined,
      } satisfies ReplaySpec;
    });
  }
  return out;
}

export function loadScenario(file: string): SimulatorOptions {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`scenario ${file}: ${(err as Error).message}`);
  }
  return parseScenario(json, dirname(resolve(file)));
}
