import 'reflect-metadata';

import { HealthRegistry } from '@cryptoscalp/health';
import { NatsConnector, Subjects } from '@cryptoscalp/messaging';

import { type DynamicModule, type INestApplication, Logger as NestLogger, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';

import { EventPublisher } from './event-publisher';
import { NatsTransportServer } from './nats-transport.server';
import { PLATFORM_OPTIONS } from './platform.constants';
import type { PlatformOptions } from './platform.types';
import { PlatformLifecycle } from './platform-lifecycle';
import { ServiceAddress } from './service-address';

export interface StartedService {
  app: INestApplication;
  /** Local URL of the HTTP server (127.0.0.1 and the bound port), for tests and logs. */
  url: string;
  /** What the heartbeats advertise (`PUBLIC_URL`, or `http://<hostname>:<bound port>`). */
  publicUrl: string;
  /** Readiness 503 → drain → close connections; resolves when done. */
  shutdown(signal?: string): Promise<void>;
}

/**
 * Creates, wires and starts a hybrid service (HTTP + NATS microservice on one connection).
 * Does not install signal or process handlers (see `runService`), so tests can start several in one process.
 */
export async function startService(
  rootModule: Type<unknown> | DynamicModule,
  opts: { logs?: boolean; /** Overrides HTTP_PORT (0 = any free port, for tests). */ port?: number } = {},
): Promise<StartedService> {
  const app = await NestFactory.create<NestExpressApplication>(rootModule, {
    bufferLogs: true,
    abortOnError: false,
    logger: opts.logs === false ? false : undefined,
    // After the drain, keep-alive connections held by pollers (the monitor, Prometheus, load
    // balancers) are closed, so shutdown never waits for them.
    forceCloseConnections: true,
  });
  if (opts.logs !== false) app.useLogger(app.get(Logger));
  const options = app.get<PlatformOptions>(PLATFORM_OPTIONS);
  const { config, service } = options;
  const nats = app.get(NatsConnector);
  const subjects = app.get(Subjects);
  const health = app.get(HealthRegistry);

  // Request-reply handlers answer in the `q.<service>` queue group: one replica per request.
  const transport = new NatsTransportServer(nats, { queue: subjects.queueGroup(service) });
  // Per-instance request-reply (no queue group): the monitor asks one instance for its status.
  transport.addHandler(subjects.instanceStatus(service, config.INSTANCE_ID), async () => health.evaluate(), false, { queue: false });
  app.connectMicroservice({ strategy: transport }, { inheritAppConfig: true });
  app.disable('x-powered-by');
  if (config.CORS_ORIGINS.length) app.enableCors({ origin: config.CORS_ORIGINS });

  await app.listen(opts.port ?? config.HTTP_PORT, config.HTTP_HOST);
  const log = new NestLogger('Bootstrap');
  const address = app.getHttpServer().address() as { port: number } | null;
  const port = address?.port ?? config.HTTP_PORT;
  const serviceAddress = app.get(ServiceAddress);
  serviceAddress.setBoundPort(port);
  // Subscriptions bind whenever NATS is connected; until then readiness reports the outage.
  await app.startAllMicroservices();
  app.get(PlatformLifecycle).startHeartbeats();
  const url = `http://127.0.0.1:${port}`;
  log.log(`${service} ${config.APP_VERSION} instance ${config.INSTANCE_ID} listening on ${url}, advertised as ${serviceAddress.url}`);

  let closing: Promise<void> | undefined;
  const shutdown = (signal = 'shutdown'): Promise<void> => {
    closing ??= (async () => {
      log.log(`${signal}: readiness now 503, draining for ${config.SHUTDOWN_DRAIN_MS} ms`);
      health.startDraining();
      // Tell the monitor this is a clean shutdown (it removes the instance without an alert).
      app.get(EventPublisher).publish('shutdown', 'info', `${service} instance ${config.INSTANCE_ID} is shutting down (${signal})`, { signal });
      await new Promise((r) => setTimeout(r, config.SHUTDOWN_DRAIN_MS));
      await app.close();
    })();
    return closing;
  };
  return { app, url, publicUrl: serviceAddress.url, shutdown };
}

/** Where process-level failures are reported (a Nest logger in `runService`). */
export interface ProcessLogger {
  error(message: string): void;
  fatal?(message: string): void;
}

/**
 * Logs unhandled rejections (with the reason's stack) and keeps the process running; logs an
 * uncaught exception and calls `onFatal` (graceful shutdown, exit 1: the process state is unknown).
 * Returns a function that removes the handlers.
 */
export function installProcessHandlers(logger: ProcessLogger, onFatal: (err: Error) => void, context = ''): () => void {
  const describe = (e: unknown) => (e instanceof Error ? (e.stack ?? e.message) : String(e));
  const onRejection = (reason: unknown) => {
    logger.error(`unhandled promise rejection${context ? ` in ${context}` : ''} (process keeps running): ${describe(reason)}`);
  };
  const onException = (err: Error, origin: string) => {
    (logger.fatal ?? logger.error).call(
      logger,
      `uncaught exception (${origin})${context ? ` in ${context}` : ''}, shutting down: ${describe(err)}`,
    );
    onFatal(err);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}

/**
 * For `main.ts`: start the service and shut it down gracefully on SIGTERM/SIGINT.
 * A failure to start exits with code 1 and one log line. Unhandled rejections are logged and
 * never end the process; an uncaught exception is logged, then the service shuts down (exit 1).
 */
export function runService(rootModule: Type<unknown> | DynamicModule): void {
  const log = new NestLogger('Process');
  let started: StartedService | undefined;
  installProcessHandlers(
    log,
    () => {
      const done = () => process.exit(1);
      if (started) started.shutdown('uncaughtException').then(done, done);
      else done();
    },
    typeof rootModule === 'function' ? rootModule.name : rootModule.module.name,
  );
  startService(rootModule)
    .then((s) => {
      started = s;
      const onSignal = (signal: NodeJS.Signals) => {
        s.shutdown(signal).then(
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
