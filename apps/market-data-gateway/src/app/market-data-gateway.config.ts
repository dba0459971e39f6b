import { baseEnv, httpPort, natsEnv } from '@cryptoscalp/config';
import { isSymbol, isVenue, type Venue } from '@cryptoscalp/messaging';

import { readFileSync } from 'node:fs';
import { z } from 'zod';

import { type Channel, CHANNELS } from './venues/venue-adapter';

/** One venue's carried symbols and channels. */
export interface FeedSpec {
  venue: Venue;
  symbols: string[];
  channels: Channel[];
}

const channelList = z
  .string()
  .default('trades,l1,l2')
  .transform((value, ctx) => {
    const list = value
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    const bad = list.filter((c) => !(CHANNELS as readonly string[]).includes(c));
    if (bad.length || list.length === 0) {
      ctx.addIssue({ code: 'custom', message: `expected a comma-separated list of ${CHANNELS.join(', ')}, got "${value}"` });
      return z.NEVER;
    }
    return [...new Set(list)] as Channel[];
  });

/** `binance:BTC-USDT,ETH-USDT;kraken:BTC-USD` → feed specs (channels filled in later). */
export function parseFeedsEnv(value: string): { venue: Venue; symbols: string[] }[] | string {
  const out: { venue: Venue; symbols: string[] }[] = [];
  for (const part of value
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [venue, list, extra] = part.split(':');
    if (extra !== undefined || !venue || list === undefined) return `expected "venue:SYMBOL,SYMBOL;venue:SYMBOL", got "${part}"`;
    if (!isVenue(venue.trim())) return `unknown venue "${venue.trim()}"`;
    const symbols = list
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = symbols.find((s) => !isSymbol(s));
    if (bad !== undefined) return `"${bad}" is not a normalized BASE-QUOTE symbol (e.g. BTC-USDT)`;
    if (symbols.length === 0) return `no symbols for ${venue}`;
    out.push({ venue: venue.trim() as Venue, symbols });
  }
  return out;
}

const FeedFileSchema = z.array(
  z.object({
    venue: z.string().refine(isVenue, 'expected binance, coinbase, kraken, okx or bybit'),
    symbols: z.array(z.string().refine(isSymbol, 'expected a BASE-QUOTE symbol')).min(1),
    channels: z.array(z.enum(CHANNELS)).min(1).optional(),
  }),
);

const wsUrl = z
  .string()
  .regex(/^wss?:\/\/\S+$/, 'expected a ws:// or wss:// URL')
  .optional();
const httpUrl = z
  .string()
  .regex(/^https?:\/\/\S+$/, 'expected an http:// or https:// URL')
  .transform((u) => u.replace(/\/+$/, ''))
  .optional();
const depth = z.coerce.number().int('expected an integer').min(1, 'expected at least 1').max(5000, 'expected at most 5000').optional();
const positiveInt = (fallback: number) =>
  z.coerce.number().int('expected an integer').positive('expected a positive integer').default(fallback);

/** Every variable market-data-gateway reads, validated once at startup (see docs/gateway.md). */
export const GatewayConfigSchema = z
  .object({
    ...baseEnv,
    ...natsEnv,
    HTTP_PORT: httpPort(3001),
    /** `binance:BTC-USDT,ETH-USDT;kraken:BTC-USD`. Empty: no feeds (the service boots, readiness needs NATS only). */
    GATEWAY_FEEDS: z.string().default(''),
    /** A JSON file: `[{"venue":"binance","symbols":["BTC-USDT"],"channels":["trades","l2"]}]`. */
    GATEWAY_FEEDS_FILE: z.string().optional(),
    /** Channels for `GATEWAY_FEEDS` entries (the file may set them per venue). */
    GATEWAY_CHANNELS: channelList,
    /** No frame at all (not even a ping) for this long: the connection is dead, reconnect. */
    GATEWAY_CONNECTION_STALE_MS: positiveInt(60_000),
    /** A symbol is `stale` after max(this, 20 × its usual interval) without data (status only, never a reconnect). */
    GATEWAY_SYMBOL_STALE_MS: positiveInt(30_000),
    /** Planned make-before-break rotation after this long (default: 15 minutes before the venue's lifetime). */
    GATEWAY_ROTATE_AFTER_MS: z.coerce.number().int().positive('expected a positive number of milliseconds').optional(),
    /** Core messages (L1, L2, status) held while NATS is unreachable; oldest dropped beyond. */
    GATEWAY_NATS_BUFFER: positiveInt(50_000),
    /** Trades held for JetStream while it is unreachable; oldest dropped beyond. */
    GATEWAY_TRADE_BUFFER: positiveInt(200_000),
    BINANCE_WS_URL: wsUrl,
    BINANCE_REST_URL: httpUrl,
    BINANCE_BOOK_DEPTH: depth,
    COINBASE_WS_URL: wsUrl,
    COINBASE_REST_URL: httpUrl,
    COINBASE_BOOK_DEPTH: depth,
    KRAKEN_WS_URL: wsUrl,
    KRAKEN_REST_URL: httpUrl,
    KRAKEN_BOOK_DEPTH: depth,
    OKX_WS_URL: wsUrl,
    OKX_REST_URL: httpUrl,
    OKX_BOOK_DEPTH: depth,
    BYBIT_WS_URL: wsUrl,
    BYBIT_REST_URL: httpUrl,
    BYBIT_BOOK_DEPTH: depth,
  })
  .superRefine((cfg, ctx) => {
    const parsed = parseFeedsEnv(cfg.GATEWAY_FEEDS);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', path: ['GATEWAY_FEEDS'], message: parsed });
    if (cfg.GATEWAY_FEEDS_FILE !== undefined) {
      const file = readFeedsFile(cfg.GATEWAY_FEEDS_FILE);
      if (typeof file === 'string') ctx.addIssue({ code: 'custom', path: ['GATEWAY_FEEDS_FILE'], message: file });
    }
  });
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

function readFeedsFile(path: string): z.infer<typeof FeedFileSchema> | string {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return `expected a readable JSON file (${(err as Error).message.slice(0, 120)})`;
  }
  const r = FeedFileSchema.safeParse(raw);
  if (!r.success) return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  return r.data;
}

/** The feeds to carry: `GATEWAY_FEEDS` and the file merged per venue (symbols unioned). */
export function feedSpecs(cfg: GatewayConfig): FeedSpec[] {
  const byVenue = new Map<Venue, FeedSpec>();
  const add = (venue: Venue, symbols: string[], channels: Channel[]) => {
    const spec = byVenue.get(venue) ?? { venue, symbols: [], channels: [] };
    spec.symbols = [...new Set([...spec.symbols, ...symbols])];
    spec.channels = [...new Set([...spec.channels, ...channels])];
    byVenue.set(venue, spec);
  };
  const env = parseFeedsEnv(cfg.GATEWAY_FEEDS);
  if (typeof env !== 'string') for (const f of env) add(f.venue, f.symbols, cfg.GATEWAY_CHANNELS);
  if (cfg.GATEWAY_FEEDS_FILE !== undefined) {
    const file = readFeedsFile(cfg.GATEWAY_FEEDS_FILE);
    if (typeof file !== 'string') for (const f of file) add(f.venue as Venue, f.symbols, f.channels ?? cfg.GATEWAY_CHANNELS);
  }
  return [...byVenue.values()];
}

/** Per-venue overrides from `<VENUE>_WS_URL`, `<VENUE>_REST_URL`, `<VENUE>_BOOK_DEPTH`. */
export function venueOverrides(cfg: GatewayConfig, venue: Venue): { wsUrl?: string; restUrl?: string; bookDepth?: number } {
  const prefix = venue.toUpperCase();
  const get = (k: string) => (cfg as Record<string, unknown>)[`${prefix}_${k}`];
  return {
    wsUrl: get('WS_URL') as string | undefined,
    restUrl: get('REST_URL') as string | undefined,
    bookDepth: get('BOOK_DEPTH') as number | undefined,
  };
}
