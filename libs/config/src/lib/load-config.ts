import { existsSync, readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import type { z } from 'zod';

import { isSecretName, redactUrl } from './redact';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** The environment to read; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** `.env` files read in order when present; real environment variables win over them. */
  envFiles?: string[];
}

/** What a bad value looked like, for the error message: secrets hidden, credentials in URLs masked. */
function describe(name: string, value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = String(value);
  if (isSecretName(name)) return `a value of ${text.length} characters (hidden)`;
  const shown = redactUrl(text);
  return `"${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}"`;
}

/**
 * Builds the raw variable map: `.env` files, then the process environment, then `<NAME>_FILE`
 * variables (Docker/Kubernetes secrets) whose file content becomes `<NAME>`.
 */
export function readEnvironment(options: LoadConfigOptions = {}, known?: ReadonlySet<string>): Record<string, string | undefined> {
  const merged: Record<string, string | undefined> = {};
  for (const file of options.envFiles ?? []) {
    if (existsSync(file)) Object.assign(merged, parseDotenv(readFileSync(file)));
  }
  Object.assign(merged, options.env ?? process.env);
  const problems: string[] = [];
  for (const [key, path] of Object.entries(merged)) {
    if (!key.endsWith('_FILE') || path === undefined || path === '') continue;
    const target = key.slice(0, -'_FILE'.length);
    // Only variables of the schema have a _FILE form (other tools' *_FILE variables are not ours).
    if (known && !known.has(target)) continue;
    if (merged[target] !== undefined && merged[target] !== '') {
      problems.push(`${key}: set together with ${target}; set only one of them`);
      continue;
    }
    try {
      merged[target] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      problems.push(`${key}: cannot read secret file "${path}" (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return merged;
}

/** Reads and validates the environment once; throws ConfigError naming every bad variable. */
export function loadConfig<S extends z.ZodObject>(schema: S, options: LoadConfigOptions = {}): z.infer<S> {
  const raw = readEnvironment(options, new Set(Object.keys(schema.shape)));
  // Empty strings mean "unset" so that `FOO=` in a compose file falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    const variable = String(issue.path[0] ?? '');
    return `${name}: ${redactUrl(issue.message)} (got ${describe(variable, cleaned[variable])})`;
  });
  throw new ConfigError(problems);
}

/**
 * For `main.ts`: validate before the Nest app is created; on a bad value print one line naming
 * the variable and what was expected, then exit with code 1.
 */
export function loadConfigOrExit<S extends z.ZodObject>(service: string, schema: S, options: LoadConfigOptions = {}): z.infer<S> {
  try {
    return loadConfig(schema, options);
  } catch (err) {
    const message = err instanceof ConfigError ? err.message : (err as Error).message;
    process.stderr.write(`${service}: ${message}\n`);
    process.exit(1);
  }
}
