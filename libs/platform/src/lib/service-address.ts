import { hostname } from 'node:os';

import type { PlatformConfig } from './platform.types';

/**
 * The URL other services use to reach this instance (advertised in heartbeats): `PUBLIC_URL` when
 * set, otherwise `http://<hostname>:<bound port>`. The hostname resolves inside compose and
 * Kubernetes networks; 127.0.0.1 would point every reader at itself.
 */
export function advertisedUrl(config: Pick<PlatformConfig, 'PUBLIC_URL'>, boundPort: number, host = hostname()): string {
  return (config.PUBLIC_URL ?? `http://${host}:${boundPort}`).replace(/\/+$/, '');
}

/** Holds the advertised URL; `startService` sets the bound port once the HTTP server listens. */
export class ServiceAddress {
  private port: number;

  constructor(private readonly config: Pick<PlatformConfig, 'PUBLIC_URL' | 'HTTP_PORT'>) {
    this.port = config.HTTP_PORT;
  }

  setBoundPort(port: number): void {
    this.port = port;
  }

  get url(): string {
    return advertisedUrl(this.config, this.port);
  }
}
