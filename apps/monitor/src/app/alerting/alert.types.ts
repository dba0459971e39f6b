export type AlertState = 'pending' | 'firing' | 'resolved';

/** A rule's condition holding for one subject, in one evaluation. */
export interface Candidate {
  rule: string;
  forMs: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  value?: number;
  /** Ids of what this alert can be blamed on (`nats`, `venue:binance`, `service:x`, `instance:x/1`). */
  causes: string[];
  /** Ids this alert stands for when it fires: what it inhibits in others' `causes`. */
  provides: string[];
}

export interface Alert {
  fingerprint: string;
  rule: string;
  state: AlertState;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  value?: number;
  causes: string[];
  provides: string[];
  /** Condition first held (pending since). */
  activeAt: number;
  firingAt?: number;
  resolvedAt?: number;
  lastEvalAt: number;
  /** Silence ids muting it. */
  silencedBy: string[];
  /** Fingerprints of the firing alerts that inhibit it. */
  inhibitedBy: string[];
}

export interface Matcher {
  name: string;
  value: string;
  isRegex: boolean;
  /** false: the label must NOT match. */
  isEqual: boolean;
}

export interface Silence {
  id: string;
  /** `maintenance` windows mute their services' alerts and show on the dashboard. */
  kind: 'silence' | 'maintenance';
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  createdAt: number;
}

export function fingerprint(labels: Record<string, string>): string {
  // FNV-1a over the sorted label pairs: stable across restarts and replicas.
  const text = Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join('\u0001');
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export function matches(m: Matcher, labels: Record<string, string>): boolean {
  const v = labels[m.name] ?? '';
  const hit = m.isRegex ? new RegExp(`^(?:${m.value})$`).test(v) : v === m.value;
  return hit === m.isEqual;
}
