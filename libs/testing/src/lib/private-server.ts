import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** Where a server binary is: an absolute path that exists, or the first match on PATH. */
export function findBinary(command: string): string | undefined {
  const executable = (path: string) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (isAbsolute(command)) return executable(command) ? command : undefined;
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  return dirs.map((dir) => join(dir, command)).find(executable);
}

/**
 * Starts a private server process (nats-server, redis-server…) on a port of the test's own, so a
 * recovery test can kill and restart it without touching the shared servers. Throws at once, with
 * what to install, when the binary is missing (a spawn of a missing binary would otherwise surface
 * later as an unhandled 'error' event).
 */
export function startPrivateServer(command: string, args: string[]): ChildProcess {
  const binary = findBinary(command);
  if (!binary) {
    throw new Error(
      `${command} is not installed (looked in ${isAbsolute(command) ? command : 'PATH, /usr/sbin, /usr/local/sbin'}): ` +
        `the recovery tests start a private server of their own. Install it (Debian/Ubuntu: apt-get install nats-server redis-server, ` +
        `or run .ci/servers.sh) or point NATS_SERVER_BIN / REDIS_SERVER_BIN at it.`,
    );
  }
  const child = spawn(binary, args, { stdio: 'ignore' });
  // A process that fails to start (permissions, …) must not crash the test runner.
  child.on('error', (err) => process.stderr.write(`private server ${binary} failed: ${err.message}\n`));
  return child;
}

/** Kills a process (SIGKILL: an outage, not a shutdown) and waits until it has exited. */
export async function killProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return;
  const exited = new Promise((resolve) => p.once('exit', resolve));
  p.kill('SIGKILL');
  await exited;
}

export const NATS_SERVER_BIN = process.env['NATS_SERVER_BIN'] ?? 'nats-server';
export const REDIS_SERVER_BIN = process.env['REDIS_SERVER_BIN'] ?? 'redis-server';
