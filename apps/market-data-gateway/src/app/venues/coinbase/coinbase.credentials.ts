import type { CoinbaseCredentials } from './coinbase.protocol';

export const COINBASE_CREDENTIAL_VARIABLES = ['COINBASE_API_KEY', 'COINBASE_API_SECRET', 'COINBASE_API_PASSPHRASE'] as const;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The optional API credentials for the authenticated `level2` channel: all three variables (or
 * their `_FILE` forms) or none. A partial or malformed set is an error naming the variables —
 * never their values. Without credentials the public `level2_batch` channel is used.
 *
 * Called by the gateway's config schema (`COINBASE_API_*` are schema variables, so the config loader
 * reads their `_FILE` forms and hides them in errors); the result reaches the adapter through
 * `VenueSettings.credentials`.
 */
export function coinbaseCredentialsFromEnv(env: {
  readonly [name: string]: unknown;
  COINBASE_API_KEY?: string;
  COINBASE_API_SECRET?: string;
  COINBASE_API_PASSPHRASE?: string;
}): CoinbaseCredentials | undefined {
  const [key, secret, passphrase] = COINBASE_CREDENTIAL_VARIABLES.map((name) => (env[name] as string | undefined)?.trim() || undefined);
  const set = [key, secret, passphrase].filter((v) => v !== undefined).length;
  if (set === 0) return undefined;
  if (set !== 3) {
    const missing = COINBASE_CREDENTIAL_VARIABLES.filter((_, i) => [key, secret, passphrase][i] === undefined);
    throw new Error(`${missing.join(', ')}: expected together with the other COINBASE_API_* variables (all three or none)`);
  }
  if (!BASE64.test(secret as string)) throw new Error('COINBASE_API_SECRET: expected the base64 secret the venue issued (value hidden)');
  return { key: key as string, secret: secret as string, passphrase: passphrase as string };
}
