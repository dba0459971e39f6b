import { formatFixed, type Level } from '@cryptoscalp/market';

import type { IncomingMessage, ServerResponse } from 'node:http';

import { FAULT_TYPES, type FaultSpec } from './faults';
import { nativeSymbol } from './market/instrument';
import type { Simulator } from './simulator';
import { sendJson, VENUE_NAMES, type VenueName } from './venues/venue';

const MAX_BODY = 64 * 1024;
const MAX_BOOK_DEPTH = 5000;

async function readBody(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > MAX_BODY) throw new BadRequest(`body larger than ${MAX_BODY} bytes`);
  }
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadRequest(`body is not JSON: ${(err as Error).message}`);
  }
}

class BadRequest extends Error {}

function venueOf(value: unknown, field: string): VenueName | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(VENUE_NAMES as readonly string[]).includes(value))
    throw new BadRequest(`${field}: expected one of ${VENUE_NAMES.join(', ')}, got ${JSON.stringify(value)}`);
  return value as VenueName;
}

function optionalNumber(o: Record<string, unknown>, field: string, min = 0): number | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min)
    throw new BadRequest(`${field}: expected a number >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

/** Validates a fault from the API or a scenario file; the error names the field. */
export function parseFault(raw: unknown, symbols: string[]): FaultSpec {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new BadRequest('fault: expected an object');
  const o = raw as Record<string, unknown>;
  if (typeof o['type'] !== 'string' || !(FAULT_TYPES as readonly string[]).includes(o['type'])) {
    throw new BadRequest(`type: expected one of ${FAULT_TYPES.join(', ')}, got ${JSON.stringify(o['type'])}`);
  }
  const symbol = o['symbol'];
  if (symbol !== undefined && (typeof symbol !== 'string' || !symbols.includes(symbol)))
    throw new BadRequest(`symbol: expected one of ${symbols.join(', ')}, got ${JSON.stringify(symbol)}`);
  return {
    type: o['type'] as FaultSpec['type'],
    venue: venueOf(o['venue'], 'venue'),
    symbol: symbol as string | undefined,
    connection: optionalNumber(o, 'connection', 1),
    count: optionalNumber(o, 'count', 1),
    durationMs: optionalNumber(o, 'durationMs'),
    retryAfterSec: optionalNumber(o, 'retryAfterSec'),
    atMs: optionalNumber(o, 'atMs'),
  };
}

/**
 * The simulator's current book of one venue and symbol, best first, prices and sizes as decimal
 * strings with the instrument's fixed decimals (what the venues' REST snapshots carry). `symbol`
 * is the normalized name (`BTC-USDT`) or the venue's own (`BTCUSDT`, `BTC/USDT`).
 */
function book(sim: Simulator, venueRaw: string, symbolRaw: string, depthRaw: string | null): unknown {
  const venues = [...sim.venues.keys()];
  if (!(venues as string[]).includes(venueRaw))
    throw new BadRequest(`venue: expected one of ${venues.join(', ')}, got ${JSON.stringify(venueRaw)}`);
  const venue = venueRaw as VenueName;
  const wanted = symbolRaw.toUpperCase();
  const inst = sim.instruments.find((i) => i.symbol === wanted || nativeSymbol(venue, i).toUpperCase() === wanted);
  if (!inst)
    throw new BadRequest(`symbol: expected one of ${sim.instruments.map((i) => i.symbol).join(', ')}, got ${JSON.stringify(symbolRaw)}`);
  let depth = MAX_BOOK_DEPTH;
  if (depthRaw !== null) {
    depth = /^\d+$/.test(depthRaw) ? Number(depthRaw) : NaN;
    if (!Number.isInteger(depth) || depth < 1 || depth > MAX_BOOK_DEPTH)
      throw new BadRequest(`depth: expected an integer from 1 to ${MAX_BOOK_DEPTH}, got ${JSON.stringify(depthRaw)}`);
  }
  if (sim.replaying(venue)) throw new BadRequest(`venue: ${venue} replays a capture and has no synthetic book`);
  const market = sim.market(venue, inst.symbol);
  const fmt = (l: Level) => [formatFixed(l.px, inst.priceDecimals), formatFixed(l.sz, inst.sizeDecimals)];
  return {
    venue,
    symbol: inst.symbol,
    seq: market.seq,
    bids: market.book.top('bid', depth).map(fmt),
    asks: market.book.top('ask', depth).map(fmt),
  };
}

/**
 * Control API: `GET /health`, `GET /api/venues`, `GET /api/ground-truth`, `GET /api/connections`,
 * `GET /api/book/<venue>/<symbol>?depth=N`, `GET|POST|DELETE /api/faults[/<id>]`,
 * `GET|POST /api/rates`. Bad input → 400 naming the field.
 */
export async function handleControl(sim: Simulator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const route = `${req.method} ${url.pathname}`;
  try {
    switch (route) {
      case 'GET /health':
        return sendJson(res, 200, {
          status: 'pass',
          uptimeSeconds: Math.round((Date.now() - sim.startedAt) / 1000),
          venues: [...sim.venues.keys()],
        });
      case 'GET /api/venues':
        return sendJson(res, 200, { control: sim.controlUrl, venues: sim.endpoints, symbols: sim.instruments.map((i) => i.symbol) });
      case 'GET /api/ground-truth':
        return sendJson(res, 200, {
          ...sim.truth.report(),
          eventsGenerated: sim.eventsGenerated,
          markets: sim.rates(),
          faultsApplied: sim.faults.history.length,
        });
      case 'GET /api/connections':
        return sendJson(res, 200, { connections: sim.connections(), disconnected: sim.truth.disconnections.slice(-100) });
      case 'GET /api/faults':
        return sendJson(res, 200, { active: sim.faults.list(), history: sim.faults.history.slice(-500) });
      case 'POST /api/faults': {
        const body = await readBody(req);
        const specs = (Array.isArray(body) ? body : [body]).map((f) =>
          parseFault(
            f,
            sim.instruments.map((i) => i.symbol),
          ),
        );
        const armed = specs.map((s) => sim.faults.arm(s));
        return sendJson(res, 201, { armed });
      }
      case 'DELETE /api/faults':
        sim.faults.clear();
        return sendJson(res, 200, { active: [] });
      case 'GET /api/rates':
        return sendJson(res, 200, { markets: sim.rates() });
      case 'POST /api/rates': {
        const body = (await readBody(req)) as Record<string, unknown>;
        const rate = optionalNumber(body, 'rate');
        if (rate === undefined) throw new BadRequest('rate: expected a number >= 0 (market events per second)');
        const symbol = body['symbol'];
        if (symbol !== undefined && typeof symbol !== 'string') throw new BadRequest('symbol: expected a string');
        const changed = sim.setRate({ venue: venueOf(body['venue'], 'venue'), symbol: symbol as string | undefined, rate });
        if (changed === 0) throw new BadRequest(`no market matches venue ${String(body['venue'] ?? '*')} symbol ${String(symbol ?? '*')}`);
        return sendJson(res, 200, { changed, markets: sim.rates() });
      }
      default: {
        const b = /^GET \/api\/book\/([^/]+)\/([^/]+)$/.exec(route);
        if (b)
          return sendJson(
            res,
            200,
            book(sim, decodeURIComponent(b[1] as string), decodeURIComponent(b[2] as string), url.searchParams.get('depth')),
          );
        const m = /^DELETE \/api\/faults\/(\d+)$/.exec(route);
        if (m) {
          sim.faults.clear(Number(m[1]));
          return sendJson(res, 200, { active: sim.faults.list() });
        }
        return sendJson(res, 404, { error: `no route ${route}` });
      }
    }
  } catch (err) {
    if (err instanceof BadRequest) return sendJson(res, 400, { error: err.message });
    throw err;
  }
}
