import type { LOG_LEVELS } from '@cryptoscalp/config';

/** What every service's validated config provides (built from the shared config pieces). */
export interface PlatformConfig {
  NODE_ENV: 'development' | 'production' | 'test';
  INSTANCE_ID: string;
  LOG_LEVEL: (typeof LOG_LEVELS)[number];
  LOG_PRETTY: boolean;
  APP_VERSION: string;
  HTTP_HOST: string;
  HTTP_PORT: number;
  PUBLIC_URL?: string;
  SHUTDOWN_DRAIN_MS: number;
  HEALTH_CHECK_TIMEOUT_MS: number;
  HEARTBEAT_INTERVAL_MS: number;
  NATS_URL: string[];
  NATS_USER?: string;
  NATS_PASSWORD?: string;
  NATS_TOKEN?: string;
  NATS_SUBJECT_PREFIX: string;
}

export interface PlatformOptions<C extends PlatformConfig = PlatformConfig> {
  /** One of the four service names; used in subjects, metrics and logs. */
  service: string;
  config: C;
}
