/** What the page reads from `/api/stream` (`state` events), `/api/series` and `/api/uptime`. */
export type Status = 'pass' | 'warn' | 'fail';

export interface ServiceView {
  name: string;
  status: Status;
  since: number;
  instances: { total: number; pass: number; warn: number; fail: number };
  flapping: boolean;
  output?: string;
}

export interface InstanceView {
  key: string;
  service: string;
  instance: string;
  version: string;
  status: Status;
  since: number;
  stale: boolean;
  stopping: boolean;
  reachable: boolean | null;
  flapping: boolean;
  responseMs: number | null;
  output?: string;
}

export interface RootCause {
  dependency: string;
  status: Status;
  instances: string[];
  services: string[];
  primary: boolean;
  summary: string;
}

export interface Alert {
  fingerprint: string;
  rule: string;
  state: 'pending' | 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  activeAt: number;
  firingAt?: number;
  resolvedAt?: number;
  silencedBy: string[];
  inhibitedBy: string[];
}

export interface Silence {
  id: string;
  kind: 'silence' | 'maintenance';
  matchers: { name: string; value: string; isRegex: boolean; isEqual: boolean }[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
}

export interface DeliveryStats {
  receiver: string;
  type: string;
  target: string;
  sent: number;
  failed: number;
  retries: number;
  pending: number;
  lastError?: string;
  lastErrorAt?: number;
}

export interface VenueView {
  venue: string;
  health: Status;
  symbols: number;
  pass: number;
  warn: number;
  fail: number;
  rate: number;
}

export type FeedRow = [key: string, venue: string, symbol: string, state: string, health: Status, ageMs: number | null, rate: number | null, latencyMs: number | null, seq: number | null, note: string];

export interface SeriesPoint {
  t: number;
  latency: Record<string, number>;
  throughput: Record<string, number>;
}

export interface DashboardState {
  time: number;
  status: Status;
  output?: string;
  rootCauses: RootCause[];
  services: ServiceView[];
  instances: InstanceView[];
  venues: VenueView[];
  feeds: FeedRow[];
  alerts: Alert[];
  silences: Silence[];
  deliveries: DeliveryStats[];
  point: SeriesPoint;
}

export interface UptimeReport {
  service: string;
  window: string;
  uptime: number | null;
  buckets: { start: string; checks: number; uptime: number | null; fail: number }[];
}
