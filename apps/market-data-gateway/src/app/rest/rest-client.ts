import { type RestClient, RestError, type RestRequest } from './rest.types';

/**
 * A per-venue request-weight budget over a sliding minute, an optional cap of requests per
 * sliding second (Coinbase: 10/s), and a ban window: after a 429 or 418 nothing leaves until
 * `Retry-After` has passed. Waiters are served in order.
 */
export class WeightLimiter {
  private readonly spent: { at: number; weight: number }[] = [];
  /** Start times of the requests of the last second (only with `requestsPerSecond`). */
  private readonly lastSecond: number[] = [];
  private blockedUntil = 0;
  private queue: Promise<void> = Promise.resolve();
  waits = 0;
  /** 429/418 answers seen. */
  blocks = 0;

  constructor(
    readonly weightPerMinute: number,
    private readonly now: () => number = Date.now,
    readonly requestsPerSecond?: number,
    private readonly sleeper: (ms: number) => Promise<void> = sleep,
  ) {}

  get used(): number {
    this.expire();
    return this.spent.reduce((s, e) => s + e.weight, 0);
  }

  /** Until when requests are held after a 429/418 (epoch ms; 0 when not). */
  get bannedUntil(): number {
    return this.blockedUntil > this.now() ? this.blockedUntil : 0;
  }

  /** Resolves when `weight` fits; returns how long it waited (ms). */
  acquire(weight: number): Promise<number> {
    const start = this.now();
    const turn = this.queue.then(async () => {
      for (;;) {
        this.expire();
        const now = this.now();
        if (now < this.blockedUntil) {
          await this.sleeper(this.blockedUntil - now);
          continue;
        }
        const perSecond = this.requestsPerSecond;
        if (perSecond !== undefined) {
          while (this.lastSecond.length && (this.lastSecond[0] as number) <= now - 1000) this.lastSecond.shift();
          if (this.lastSecond.length >= perSecond) {
            await this.sleeper(Math.max(1, (this.lastSecond[0] as number) + 1000 - now));
            continue;
          }
        }
        const used = this.spent.reduce((s, e) => s + e.weight, 0);
        if (used + weight <= this.weightPerMinute || this.spent.length === 0) break;
        await this.sleeper(Math.max(10, (this.spent[0] as { at: number }).at + 60_000 - now));
      }
      const at = this.now();
      this.spent.push({ at, weight });
      if (this.requestsPerSecond !== undefined) this.lastSecond.push(at);
    });
    this.queue = turn.catch(() => undefined);
    return turn.then(() => {
      const waited = this.now() - start;
      if (waited > 0) this.waits++;
      return waited;
    });
  }

  /** The server said how much it counts (`X-MBX-USED-WEIGHT-1M`): never believe we have used less. */
  observeUsed(serverUsed: number): void {
    const local = this.used;
    if (serverUsed > local) this.spent.push({ at: this.now(), weight: serverUsed - local });
  }

  /** 429 / 418: hold every request for `ms`. */
  block(ms: number): void {
    this.blocks++;
    this.blockedUntil = Math.max(this.blockedUntil, this.now() + ms);
  }

  private expire(): void {
    const floor = this.now() - 60_000;
    while (this.spent.length && (this.spent[0] as { at: number }).at <= floor) this.spent.shift();
  }
}

const sleep = (ms: number) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    t.unref?.();
  });

export interface HttpRestClientOptions {
  /** Per request, counted from when it leaves (not while it waits for the limiter or a free slot). Default 10 s. */
  timeoutMs?: number;
  /**
   * Requests in flight at once (default 8). Hundreds of symbols resyncing together must not open
   * hundreds of sockets: a slow server then answers each in turn instead of all of them timing out
   * together and being retried together.
   */
  maxConcurrent?: number;
  onWait?(seconds: number): void;
  onBlocked?(status: number, retryAfterMs: number, url: string): void;
  /** Every successful answer, as received (raw capture). */
  onResponse?(url: string, body: string): void;
}

/** `fetch` through the venue's limiter and a bounded number of slots; honours `Retry-After` on 429 and 418. */
export class HttpRestClient implements RestClient {
  private active = 0;
  private readonly slotWaiters: (() => void)[] = [];
  /** Highest number of requests in flight at once (tests, `GET /v1/feeds`). */
  maxInFlight = 0;

  constructor(
    readonly limiter: WeightLimiter,
    private readonly options: HttpRestClientOptions = {},
  ) {}

  get inFlight(): number {
    return this.active;
  }

  /** Requests waiting for a free slot. */
  get queued(): number {
    return this.slotWaiters.length;
  }

  async getJson<T>(request: RestRequest): Promise<T> {
    const max = Math.max(1, this.options.maxConcurrent ?? 8);
    if (this.active >= max) await new Promise<void>((r) => this.slotWaiters.push(r));
    else this.active++;
    if (this.active > this.maxInFlight) this.maxInFlight = this.active;
    try {
      return await this.send<T>(request);
    } finally {
      // Hand the slot straight to the next waiter (the count stays), or free it.
      const next = this.slotWaiters.shift();
      if (next) next();
      else this.active--;
    }
  }

  private async send<T>(request: RestRequest): Promise<T> {
    const waited = await this.limiter.acquire(request.weight ?? 1);
    this.options.onWait?.(waited / 1000);
    const res = await fetch(request.url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) });
    const used = Number(res.headers.get('x-mbx-used-weight-1m') ?? NaN);
    if (Number.isFinite(used)) this.limiter.observeUsed(used);
    if (res.status === 429 || res.status === 418) {
      const retryAfter = Number(res.headers.get('retry-after'));
      // Without a header: a minute for 429, longer for a ban (418), never hammer.
      const ms = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : res.status === 418 ? 120_000 : 60_000;
      this.limiter.block(ms);
      this.options.onBlocked?.(res.status, ms, request.url);
      await res.body?.cancel();
      throw new RestError(res.status, request.url, `${res.status} from ${new URL(request.url).pathname}; holding requests for ${ms} ms`);
    }
    if (!res.ok) {
      const text = (await res.text()).slice(0, 200);
      throw new RestError(res.status, request.url, `${res.status} from ${new URL(request.url).pathname}: ${text}`);
    }
    const body = await res.text();
    this.options.onResponse?.(request.url, body);
    return JSON.parse(body) as T;
  }
}
