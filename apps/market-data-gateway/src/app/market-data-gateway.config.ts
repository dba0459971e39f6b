import { baseEnv, httpPort, natsEnv } from '@cryptoscalp/config';
import { isSymbol, isVenue, type Venue } from '@cryptoscalp/messaging';

import { z } from 'zod';

import { COINBASE_CREDENTIAL_VARIABLES, coinbaseCredentialsFromEnv } from './venues/coinbase/coinbase.credentials';
import { type Channel, CHANNELS, type VenueCredentials, type VenueSettings } from './venues/venue-adapter';

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
/** Alternative endpoints tried in order when the primary's circuit breaker is open (`wss://a,wss://b`). */
const wsUrlList = z
  .string()
  .transform((value, ctx) => {
    const list = value
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean);
    const bad = list.find((u) => !/^wss?:\/\/\S+$/.test(u));
    if (bad !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected a comma-separated list of ws:// or wss:// URLs' });
      return z.NEVER;
    }
    return list;
  })
  .optional();
/** A credential: any non-empty string (its value never appears in an error). */
const credential = z.string().optional();
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
    /**
     * `binance:BTC-USDT,ETH-USDT;kraken:BTC-USD`, or JSON `[{"venue":"binance","symbols":["BTC-USDT"],"channels":["trades","l2"]}]`
     * (per-venue channels). `GATEWAY_FEEDS_FILE` (the config loader's `_FILE` form) reads either from a file.
     * Empty: no feeds (the service boots, readiness needs NATS only).
     */
    GATEWAY_FEEDS: z.string().default(''),
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
    /** Raw frames received (and sent, secrets redacted) are written here in the fixture format (`npm run replay`). */
    GATEWAY_CAPTURE_DIR: z.string().optional(),
    BINANCE_WS_URL: wsUrl,
    BINANCE_WS_FALLBACK_URLS: wsUrlList,
    BINANCE_REST_URL: httpUrl,
    BINANCE_BOOK_DEPTH: depth,
    COINBASE_WS_URL: wsUrl,
    COINBASE_WS_FALLBACK_URLS: wsUrlList,
    COINBASE_REST_URL: httpUrl,
    COINBASE_BOOK_DEPTH: depth,
    KRAKEN_WS_URL: wsUrl,
    KRAKEN_WS_FALLBACK_URLS: wsUrlList,
    KRAKEN_REST_URL: httpUrl,
    KRAKEN_BOOK_DEPTH: depth,
    OKX_WS_URL: wsUrl,
    OKX_WS_FALLBACK_URLS: wsUrlList,
    OKX_REST_URL: httpUrl,
    OKX_BOOK_DEPTH: depth,
    BYBIT_WS_URL: wsUrl,
    BYBIT_WS_FALLBACK_URLS: wsUrlList,
    BYBIT_REST_URL: httpUrl,
    BYBIT_BOOK_DEPTH: depth,
    /** Coinbase API credentials (all three or none; `_FILE` forms read by the config loader): the signed `level2` channel. */
    COINBASE_API_KEY: credential,
    COINBASE_API_SECRET: credential,
    COINBASE_API_PASSPHRASE: credential,
    /** Most trades one hole in Coinbase trade ids backfills over REST (`GET /products/<id>/trades`); 0 turns backfill off. */
    COINBASE_BACKFILL_MAX_TRADES: z.coerce
      .number()
      .int('expected an integer')
      .min(0, 'expected 0 (off) or more')
      .max(100_000, 'expected at most 100000')
      .default(5000),
    /** A hole in Coinbase trade ids still open this long is backfilled (a reordered frame may fill it first). */
    COINBASE_BACKFILL_DELAY_MS: positiveInt(1500),
  })
  .superRefine((cfg, ctx) => {
    const parsed = parseFeeds(cfg.GATEWAY_FEEDS);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', path: ['GATEWAY_FEEDS'], message: parsed });
    try {
      coinbaseCredentialsFromEnv(cfg);
    } catch (err) {
      // Named after the first variable that is missing (its value is nothing) or the secret (hidden):
      // never after one whose value the error would print.
      const message = (err as Error).message;
      const missing = COINBASE_CREDENTIAL_VARIABLES.find((name) => cfg[name] === undefined || cfg[name]?.trim() === '');
      const path = message.startsWith('COINBASE_API_SECRET') ? 'COINBASE_API_SECRET' : (missing ?? 'COINBASE_API_SECRET');
      ctx.addIssue({ code: 'custom', path: [path], message: message.replace(/^[A-Z_, ]+: /, '') });
    }
  });
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

/** `GATEWAY_FEEDS` in either form: JSON (starts with `[`) or `venue:SYMBOL,…;venue:…`. */
function parseFeeds(value: string): { venue: Venue; symbols: string[]; channels?: Channel[] }[] | string {
  if (!value.trim().startsWith('[')) return parseFeedsEnv(value);
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch (err) {
    return `expected JSON like [{"venue":"binance","symbols":["BTC-USDT"]}] (${(err as Error).message.slice(0, 120)})`;
  }
  const r = FeedFileSchema.safeParse(raw);
  if (!r.success) return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  return r.data.map((f) => ({ venue: f.venue as Venue, symbols: f.symbols, channels: f.channels }));
}

/** The feeds to carry (entries of one venue merged, symbols and channels unioned). */
export function feedSpecs(cfg: GatewayConfig): FeedSpec[] {
  const byVenue = new Map<Venue, FeedSpec>();
  const parsed = parseFeeds(cfg.GATEWAY_FEEDS);
  if (typeof parsed === 'string') return [];
  for (const f of parsed) {
    const spec = byVenue.get(f.venue) ?? { venue: f.venue, symbols: [], channels: [] };
    spec.symbols = [...new Set([...spec.symbols, ...f.symbols])];
    spec.channels = [...new Set([...spec.channels, ...(f.channels ?? cfg.GATEWAY_CHANNELS)])];
    byVenue.set(f.venue, spec);
  }
  return [...byVenue.values()];
}

export interface VenueOverrides {
  wsUrl?: string;
  wsFallbackUrls?: string[];
  restUrl?: string;
  bookDepth?: number;
  credentials?: VenueCredentials;
  tradeBackfill?: VenueSettings['tradeBackfill'];
}

/** Per-venue overrides from `<VENUE>_WS_URL`, `<VENUE>_WS_FALLBACK_URLS`, `<VENUE>_REST_URL`, `<VENUE>_BOOK_DEPTH`, credentials, Coinbase backfill. */
export function venueOverrides(cfg: GatewayConfig, venue: Venue): VenueOverrides {
  const prefix = venue.toUpperCase();
  const get = (k: string) => (cfg as Record<string, unknown>)[`${prefix}_${k}`];
  return {
    wsUrl: get('WS_URL') as string | undefined,
    wsFallbackUrls: get('WS_FALLBACK_URLS') as string[] | undefined,
    restUrl: get('REST_URL') as string | undefined,
    bookDepth: get('BOOK_DEPTH') as number | undefined,
    credentials: venue === 'coinbase' ? coinbaseCredentialsFromEnv(cfg) : undefined,
    tradeBackfill:
      venue === 'coinbase' ? { maxTrades: cfg.COINBASE_BACKFILL_MAX_TRADES, delayMs: cfg.COINBASE_BACKFILL_DELAY_MS } : undefined,
  };
}
