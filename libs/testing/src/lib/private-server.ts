import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Starts a private server process (nats-server, redis-server…) on a port of the test's own, so a
 * recovery test can kill and restart it without touching the shared servers.
 */
export function startPrivateServer(command: string, args: string[]): ChildProcess {
  return spawn(command, args, { stdio: 'ignore' });
}

/** Kills a process (SIGKILL: an outage, not a shutdown) and waits until it has exited. */
export async function killProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((resolve) => p.once('exit', resolve));
  p.kill('SIGKILL');
  await exited;
}

export const NATS_SERVER_BIN = process.env['NATS_SERVER_BIN'] ?? '/usr/sbin/nats-server';
