import type { HealthStatus } from '@cryptoscalp/messaging';

export interface ComponentView {
  name: string;
  status: HealthStatus;
  critical: boolean;
  output?: string;
  observedValue?: number | string | boolean;
  observedUnit?: string;
  flapping: boolean;
  /** The shared dependency this component stands for (`nats`, `redis`, `postgres`, `venue:binance`). */
  dependency?: string;
}

export interface InstanceView {
  key: string;
  service: string;
  instance: string;
  version: string;
  healthUrl: string;
  source: 'heartbeat' | 'static';
  /** Damped tri-state: readiness polls, heartbeat freshness. */
  status: HealthStatus;
  /** When `status` was entered (epoch ms). */
  since: number;
  reportedStatus: HealthStatus;
  stale: boolean;
  stopping: boolean;
  /** New and not yet passing, within the startup grace: shown, never alerted on. */
  starting: boolean;
  reachable: boolean | null;
  flapping: boolean;
  responseMs: number | null;
  lastCheck: number | null;
  lastSeen: number;
  startedAt: number;
  output?: string;
  components: ComponentView[];
  /** What this instance's trouble can be blamed on: failing dependencies, or itself (`instance:<key>`). */
  causes: string[];
}

export interface ServiceView {
  name: string;
  status: HealthStatus;
  since: number;
  instances: { total: number; pass: number; warn: number; fail: number };
  flapping: boolean;
  output?: string;
  causes: string[];
}

export interface RootCause {
  /** `nats`, `redis`, `postgres`, `venue:<venue>`. */
  dependency: string;
  status: HealthStatus;
  instances: string[];
  services: string[];
  /** Not explained by a broader cause listed before it. */
  primary: boolean;
  summary: string;
}

export interface HealthSnapshot {
  time: number;
  status: HealthStatus;
  output?: string;
  services: ServiceView[];
  instances: InstanceView[];
  rootCauses: RootCause[];
}
