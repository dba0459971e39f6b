import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/**
 * Express computes a weak ETag (a hash of the body) for every response; cache reads are
 * `Cache-Control: no-store` and change every few milliseconds, so the hash is pure cost on the
 * read path. Turned off through Nest's public HttpAdapterHost.
 */
@Injectable()
export class HttpTuningService implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const instance = this.adapterHost.httpAdapter?.getInstance() as { set?: (name: string, value: unknown) => void } | undefined;
    instance?.set?.('etag', false);
  }
}
