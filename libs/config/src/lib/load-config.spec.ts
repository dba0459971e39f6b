import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

import { baseEnv, httpPort, natsEnv, postgresEnv, redisEnv } from './env-pieces';
import { ConfigError, loadConfig } from './load-config';

const schema = z.object({ ...baseEnv, ...natsEnv, ...redisEnv, ...postgresEnv, HTTP_PORT: httpPort(3001) });

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(schema, { env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cs-config-'));

  it('applies the documented defaults', () => {
    const config = loadConfig(schema, { env: {} });
    expect(config).toMatchObject({
      HTTP_PORT: 3001,
      NATS_URL: ['nats://127.0.0.1:4222'],
      NATS_SUBJECT_PREFIX: '',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: 'cs:',
      POSTGRES_SCHEMA: 'public',
      POSTGRES_POOL_MAX: 10,
      LOG_LEVEL: 'info',
      LOG_PRETTY: false,
      SHUTDOWN_DRAIN_MS: 3000,
    });
    expect(config.INSTANCE_ID).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('coerces and splits values', () => {
    const config = loadConfig(schema, { env: { HTTP_PORT: '4000', NATS_URL: 'nats://a:4222, nats://b:4222', LOG_PRETTY: 'true' } });
    expect(config.HTTP_PORT).toBe(4000);
    expect(config.NATS_URL).toEqual(['nats://a:4222', 'nats://b:4222']);
    expect(config.LOG_PRETTY).toBe(true);
  });

  it('names the variable, what was expected and what it got', () => {
    expect(problems({ HTTP_PORT: 'abc' })).toEqual(['HTTP_PORT: expected a TCP port number (got "abc")']);
    expect(problems({ HTTP_PORT: '70000' })[0]).toBe('HTTP_PORT: expected a TCP port between 1 and 65535 (got "70000")');
    expect(problems({ NATS_URL: 'http://x' })[0]).toContain('NATS_URL: expected a nats: or tls: or ws: or wss: URL, got "http://x"');
    expect(problems({ REDIS_URL: 'localhost:6379' })[0]).toContain('REDIS_URL: expected a redis:// or rediss:// URL');
    expect(problems({ LOG_LEVEL: 'loud' })[0]).toMatch(/^LOG_LEVEL: .*"loud"/);
    expect(problems({ NATS_SUBJECT_PREFIX: 'a.b.' })[0]).toContain('NATS_SUBJECT_PREFIX');
  });

  it('reports every bad variable at once', () => {
    expect(problems({ HTTP_PORT: 'x', POSTGRES_POOL_MAX: '0' })).toHaveLength(2);
  });

  it('treats an empty value as unset (compose files write FOO=)', () => {
    expect(loadConfig(schema, { env: { HTTP_PORT: '' } }).HTTP_PORT).toBe(3001);
  });

  it('reads <NAME>_FILE secrets, trimming the trailing newline', () => {
    const file = join(dir, 'pg-password');
    writeFileSync(file, 's3cret\n');
    expect(loadConfig(schema, { env: { POSTGRES_PASSWORD_FILE: file } }).POSTGRES_PASSWORD).toBe('s3cret');
  });

  it('rejects a missing secret file and a secret set twice', () => {
    expect(problems({ REDIS_PASSWORD_FILE: join(dir, 'nope') })[0]).toMatch(
      /^REDIS_PASSWORD_FILE: cannot read secret file ".*nope" \(ENOENT\)$/,
    );
    const file = join(dir, 'tok');
    writeFileSync(file, 't');
    expect(problems({ NATS_TOKEN: 'x', NATS_TOKEN_FILE: file })[0]).toBe(
      'NATS_TOKEN_FILE: set together with NATS_TOKEN; set only one of them',
    );
  });

  it('ignores *_FILE variables that are not part of the schema', () => {
    expect(() => loadConfig(schema, { env: { TF_CLI_CONFIG_FILE: '/does/not/exist' } })).not.toThrow();
  });

  it('reads .env files in order, with the real environment winning', () => {
    const a = join(dir, 'a.env');
    const b = join(dir, 'b.env');
    writeFileSync(a, 'HTTP_PORT=4001\nLOG_LEVEL=debug\n');
    writeFileSync(b, 'HTTP_PORT=4002\n');
    expect(loadConfig(schema, { env: {}, envFiles: [a, b, join(dir, 'missing.env')] })).toMatchObject({
      HTTP_PORT: 4002,
      LOG_LEVEL: 'debug',
    });
    expect(loadConfig(schema, { env: { HTTP_PORT: '4003' }, envFiles: [a] }).HTTP_PORT).toBe(4003);
  });
});

describe('configuration errors never print secrets', () => {
  it('masks the password of a malformed URL and of a well-formed one with another problem', () => {
    const [pg] = problems({ POSTGRES_URL: 'postgress://app:s3cr3t-pw@db:5432/x' });
    expect(pg).toContain('POSTGRES_URL: expected a postgres:// URL');
    expect(pg).toContain('app:***@db');
    expect(pg).not.toContain('s3cr3t-pw');
    const [nats] = problems({ NATS_URL: 'nats://u:s3cr3t-pw@host:4222,http://u:0th3r-pw@x' });
    expect(nats).toContain('NATS_URL');
    expect(nats).not.toContain('s3cr3t-pw');
    expect(nats).not.toContain('0th3r-pw');
    const [redis] = problems({ REDIS_URL: 'redis//:s3cr3t-pw@cache?password=s3cr3t-pw' });
    expect(redis).not.toContain('s3cr3t-pw');
  });

  it('never prints the value of a secret-like variable', () => {
    const secrets = z.object({ NATS_PASSWORD: z.string().min(12, 'expected at least 12 characters'), API_KEY: z.string().regex(/^k_/, 'expected k_…') });
    let message = '';
    try {
      loadConfig(secrets, { env: { NATS_PASSWORD: 'hunter2', API_KEY: 'sk-live-hunter2' } });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('NATS_PASSWORD: expected at least 12 characters (got a value of 7 characters (hidden))');
    expect(message).toContain('API_KEY');
    expect(message).not.toContain('hunter2');
    let passphrase = '';
    try {
      loadConfig(z.object({ COINBASE_API_PASSPHRASE: z.string().length(40, 'expected 40 characters') }), { env: { COINBASE_API_PASSPHRASE: 'open-sesame' } });
    } catch (err) {
      passphrase = (err as Error).message;
    }
    expect(passphrase).toContain('COINBASE_API_PASSPHRASE: expected 40 characters (got a value of 11 characters (hidden))');
  });
});
