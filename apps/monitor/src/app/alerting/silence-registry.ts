import { randomUUID } from 'node:crypto';

import type { Matcher, Silence } from './alert.types';
import type { SilenceStore } from './alerting.constants';

export interface NewSilence {
  kind: Silence['kind'];
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
}

/** Silences and maintenance windows: in memory, persisted through the store when there is one. */
export class SilenceRegistry {
  private readonly silences = new Map<string, Silence>();
  private loaded = false;

  constructor(private readonly store?: SilenceStore) {}

  /** Loads persisted silences (retried by the caller until it works). */
  async load(): Promise<void> {
    if (!this.store || this.loaded) return;
    for (const s of await this.store.load()) if (!this.silences.has(s.id)) this.silences.set(s.id, s);
    this.loaded = true;
  }

  /** Takes effect at once; persisting it is best effort (during an outage Postgres may be down too). */
  async add(input: NewSilence, now = Date.now()): Promise<{ silence: Silence; persisted: boolean; problem?: string }> {
    const s: Silence = { id: randomUUID(), ...input, createdAt: now };
    this.silences.set(s.id, s);
    return { silence: s, ...(await this.persist(s)) };
  }

  private async persist(s: Silence): Promise<{ persisted: boolean; problem?: string }> {
    if (!this.store) return { persisted: false, problem: 'no history store configured' };
    try {
      await this.store.save(s);
      return { persisted: true };
    } catch (err) {
      return { persisted: false, problem: (err as Error).message };
    }
  }

  /** Ends a silence now (kept for the record until it ages out). */
  async expire(id: string, now = Date.now()): Promise<Silence | undefined> {
    const s = this.silences.get(id);
    if (!s) return undefined;
    const ended = { ...s, endsAt: Math.min(s.endsAt, now) };
    this.silences.set(id, ended);
    await this.persist(ended);
    return ended;
  }

  /** Active and upcoming ones, plus those that ended within `keepMs`. */
  list(now = Date.now(), keepMs = 3_600_000): Silence[] {
    return [...this.silences.values()].filter((s) => s.endsAt > now - keepMs).sort((a, b) => a.startsAt - b.startsAt);
  }

  active(now = Date.now()): Silence[] {
    return [...this.silences.values()].filter((s) => s.startsAt <= now && now < s.endsAt);
  }
}
