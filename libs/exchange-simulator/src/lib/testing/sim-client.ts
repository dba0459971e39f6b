import { existsSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';

/**
 * A minimal recording WebSocket client for tests of the simulator (and of anything that needs
 * to watch a venue's raw frames): every text frame is kept, in order, with its arrival time.
 */
export class RecordingClient {
  readonly frames: { text: string; at: number }[] = [];
  closeCode: number | undefined;
  closeReason = '';
  readonly ws: WebSocket;
  private waiters: (() => void)[] = [];

  private constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (data: Buffer) => {
      this.frames.push({ text: data.toString(), at: Date.now() });
      this.notify();
    });
    this.ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      this.notify();
    });
    this.ws.on('error', () => this.notify());
  }

  static async connect(url: string): Promise<RecordingClient> {
    const c = new RecordingClient(url);
    await new Promise<void>((resolve, reject) => {
      c.ws.once('open', () => resolve());
      c.ws.once('error', reject);
      c.ws.once('close', (code) => reject(new Error(`closed with ${code} before open`)));
    });
    return c;
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  /** Parsed JSON frames (frames that are not JSON are skipped). */
  json<T = Record<string, any>>(): T[] {
    const out: T[] = [];
    for (const f of this.frames) {
      try {
        out.push(JSON.parse(f.text) as T);
      } catch {
        /* not JSON */
      }
    }
    return out;
  }

  /** Waits until `check` over the frames so far returns a truthy value. */
  async until<T>(check: (frames: { text: string; at: number }[]) => T | undefined | false, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = check(this.frames);
      if (v) return v;
      if (this.closeCode !== undefined) throw new Error(`connection closed (${this.closeCode} ${this.closeReason}) while waiting`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out after ${timeoutMs} ms with ${this.frames.length} frames: ${this.frames
            .slice(-3)
            .map((f) => f.text.slice(0, 120))
            .join(' | ')}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async closed(timeoutMs = 5000): Promise<number> {
    if (this.closeCode !== undefined) return this.closeCode;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('not closed in time')), timeoutMs);
      this.ws.once('close', (code) => {
        clearTimeout(t);
        resolve(code);
      });
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

/**
 * Waits until `check` returns a truthy value (polled every `intervalMs`), or throws after
 * `timeoutMs` naming `what`: tests wait for conditions with a deadline, never a fixed sleep.
 */
export async function until<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 5000,
  what = 'condition',
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** fixtures/captures/<name> at the workspace root. */
export function fixturePath(name: string): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'fixtures', 'captures'))) {
    const up = join(dir, '..');
    if (up === dir) throw new Error('fixtures/captures not found above ' + __dirname);
    dir = up;
  }
  return join(dir, 'fixtures', 'captures', name);
}
