import { BackgroundRetry, Backoff, RetryStoppedError } from './backoff';

describe('Backoff', () => {
  it('grows from the initial delay, never exceeds the cap, and starts over after reset', () => {
    const b = new Backoff({ initialDelayMs: 100, maxDelayMs: 2_000 });
    const delays = Array.from({ length: 30 }, () => b.next());
    expect(Math.max(...delays)).toBeLessThanOrEqual(2_000);
    expect(delays.every((d) => d >= 0)).toBe(true);
    // Exponential growth: late delays are, on average, far above the first ones.
    const early = delays.slice(0, 2).reduce((a, d) => a + d, 0) / 2;
    const late = delays.slice(20).reduce((a, d) => a + d, 0) / 10;
    expect(late).toBeGreaterThan(early * 3);
    expect(late).toBeGreaterThan(500);
    b.reset();
    expect(b.next()).toBeLessThan(500);
  });
});

describe('BackgroundRetry', () => {
  it('retries with growing waits until the attempt succeeds', async () => {
    const starts: number[] = [];
    const failures: number[] = [];
    const retry = new BackgroundRetry(
      async () => {
        starts.push(Date.now());
        if (starts.length < 4) throw new Error(`down ${starts.length}`);
        return 'up';
      },
      { initialDelayMs: 40, maxDelayMs: 1_000, onFailure: (_e, attempt) => failures.push(attempt) },
    );
    await expect(retry.done).resolves.toBe('up');
    expect(retry.attempts).toBe(4);
    expect(failures).toEqual([1, 2, 3]);
    expect(retry.lastError).toBeUndefined();
    // Three waits happened: at least something was waited (decorrelated jitter stays > 0).
    expect((starts[3] as number) - (starts[0] as number)).toBeGreaterThan(20);
  });

  it('stops at once while waiting and rejects with RetryStoppedError', async () => {
    let calls = 0;
    const retry = new BackgroundRetry(
      async () => {
        calls++;
        throw new Error('refused');
      },
      { initialDelayMs: 60_000, maxDelayMs: 60_000 },
    );
    const deadline = Date.now() + 2_000;
    while (calls === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const stoppedAt = Date.now();
    retry.stop();
    await expect(retry.done).rejects.toBeInstanceOf(RetryStoppedError);
    expect(Date.now() - stoppedAt).toBeLessThan(1_000);
    expect(calls).toBe(1);
    expect(retry.lastError?.message).toBe('refused');
  });
});
