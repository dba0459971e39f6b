/** The exchanges the platform speaks to. Subject tokens use these exact names. */
export const VENUES = ['binance', 'coinbase', 'kraken', 'okx', 'bybit'] as const;
export type Venue = (typeof VENUES)[number];

export function isVenue(value: string): value is Venue {
  return (VENUES as readonly string[]).includes(value);
}

/** Normalized symbol: `BASE-QUOTE`, upper case, never containing a dot (NATS token separator). */
export const SYMBOL_PATTERN = /^[A-Z0-9]{1,20}-[A-Z0-9]{1,20}$/;

export function isSymbol(value: string): boolean {
  return SYMBOL_PATTERN.test(value);
}

/** The deployable services; used in heartbeat and event subjects. */
export const SERVICES = ['market-data-gateway', 'cache-service', 'db-proxy', 'monitor'] as const;
export type ServiceName = (typeof SERVICES)[number];
