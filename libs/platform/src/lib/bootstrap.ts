import 'reflect-metadata';

import { HealthRegistry } from '@cryptoscalp/health';
import { NatsConnector, Subjects } from '@cryptoscalp/messaging';

import { type DynamicModule, type INestApplication, Logger as NestLogger, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';

import { PLATFORM_OPTIONS } from './platform.constants';
import type { PlatformOptions } from './platform.types';
import { SharedConnectionServerNats } from './shared-connection.server';

export interface StartedService {
  app: INestApplication;
  url: string;
  /** Readiness 503 → drain → close connections; resolves when done. */
  shutdown(signal?: string): Promise<void>;
}

/**
 * Creates, wires and starts a hybrid service (HTTP + NATS microservice on one connection).
 * Does not install signal handlers (see `runService`), so tests can start several in one process.
 */
export async function startService(
  rootModule: Type<unknown> | DynamicModule,
  opts: { logs?: boolean; /** Overrides HTTP_PORT (0 = any free port, for tests). */ port?: number } = {},
): Promise<StartedService> {
  const app = await NestFactory.create(rootModule, {
    bufferLogs: true,
    abortOnError: false,
    logger: opts.logs === false ? false : undefined,
  });
  if (opts.logs !== false) app.useLogger(app.get(Logger));
  const options = app.get<PlatformOptions>(PLATFORM_OPTIONS);
  const { config, service } = options;
  const nats = app.get(NatsConnector);
  const subjects = app.get(Subjects);
  const health = app.get(HealthRegistry);

  const transport = new SharedConnectionServerNats(nats);
  // Per-instance request-reply: the monitor (or an operator with `nats req`) asks one instance for its status.
  transport.addHandler(subjects.instanceStatus(service, config.INSTANCE_ID), async () => health.evaluate());
  app.connectMicroservice({ strategy: transport }, { inheritAppConfig: true });
  app.enableCors();

  await app.listen(opts.port ?? config.HTTP_PORT, config.HTTP_HOST);
  const log = new NestLogger('Bootstrap');
  // Subscriptions bind once NATS is connected; until then readiness reports the outage.
  app.startAllMicroservices().then(
    () => log.log(`NATS transport listening (${config.NATS_URL.join(',')})`),
    (err: Error) => log.warn(`NATS transport not started: ${err.message}`),
  );
  const address = app.getHttpServer().address() as { port: number } | null;
  const url = `http://127.0.0.1:${address?.port ?? config.HTTP_PORT}`;
  log.log(`${service} ${config.APP_VERSION} instance ${config.INSTANCE_ID} listening on ${url}`);

  let closing: Promise<void> | undefined;
  const shutdown = (signal = 'shutdown'): Promise<void> => {
    closing ??= (async () => {
      log.log(`${signal}: readiness now 503, draining for ${config.SHUTDOWN_DRAIN_MS} ms`);
      health.startDraining();
      await new Promise((r) => setTimeout(r, config.SHUTDOWN_DRAIN_MS));
      await app.close();
    })();
    return closing;
  };
  return { app, url, shutdown };
}

/**
 * For `main.ts`: start the service and shut it down gracefully on SIGTERM/SIGINT.
 * A failure to start exits with code 1 and one log line.
 */
export function runService(rootModule: Type<unknown> | DynamicModule): void {
  startService(rootModule)
    .then((started) => {
      const onSignal = (signal: NodeJS.Signals) => {
        started.shutdown(signal).then(
          () => process.exit(0),
          (err: Error) => {
            process.stderr.write(`shutdown failed: ${err.message}\n`);
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    })
    .catch((err: Error) => {
      process.stderr.write(`failed to start: ${err.stack ?? err.message}\n`);
      process.exit(1);
    });
}
