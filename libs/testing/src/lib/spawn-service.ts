import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { waitFor } from './namespace';

export interface SpawnedService {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The built entry point of an app (`nx build` output), as the Docker image runs it. */
export function builtMain(app: string): string {
  const root = findWorkspaceRoot();
  const main = join(root, 'dist', 'apps', app, 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: the test target depends on build (run "npx nx build ${app}")`);
  return main;
}

function findWorkspaceRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = join(dir, '..');
    if (parent === dir) throw new Error('workspace root (nx.json) not found');
    dir = parent;
  }
  return dir;
}

/**
 * Starts a built service as a child process with exactly the given environment (plus PATH),
 * the way its container does. Logs are captured for assertions and failure messages.
 */
export function spawnService(main: string, env: Record<string, string>, port: number): SpawnedService {
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'test', TZ: 'UTC', ...env, HTTP_PORT: String(port) },
    cwd: findWorkspaceRoot(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Waits until the service answers HTTP at all (any status). */
export async function waitForHttp(url: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    async () => {
      const res = await fetch(url);
      return res.status > 0;
    },
    timeoutMs,
    100,
  );
}

export async function getJson(url: string): Promise<{ status: number; body: any; contentType: string | null }> {
  const res = await fetch(url);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body, contentType: res.headers.get('content-type') };
}
