import { findBinary, killProcess, startPrivateServer } from './private-server';

describe('startPrivateServer', () => {
  it('refuses a missing binary at once with what to install, instead of an uncaught spawn error', () => {
    expect(() => startPrivateServer('nats-server-that-is-not-here', ['-p', '1'])).toThrow(
      /nats-server-that-is-not-here is not installed .*apt-get install nats-server redis-server/,
    );
    expect(() => startPrivateServer('/nonexistent/redis-server', [])).toThrow('/nonexistent/redis-server is not installed');
  });

  it('finds binaries on PATH and in sbin directories, and starts them', async () => {
    expect(findBinary('sh')).toMatch(/\/sh$/);
    const child = startPrivateServer('sleep', ['30']);
    expect(child.pid).toBeGreaterThan(0);
    await killProcess(child);
    expect(child.signalCode).toBe('SIGKILL');
  });
});
