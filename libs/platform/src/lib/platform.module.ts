import { ResilienceRegistry } from '@cryptoscalp/circuit-breaker';
import { HealthModule, HealthRegistry } from '@cryptoscalp/health';
import { HeartbeatPublisher, NatsConnector, Subjects } from '@cryptoscalp/messaging';
import { MetricsModule, MetricsRegistry } from '@cryptoscalp/metrics';

import { type DynamicModule, Logger, Module, type Provider } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';

import { EventPublisher } from './event-publisher';
import { httpLogLevelFor } from './http-logging';
import { PLATFORM_OPTIONS } from './platform.constants';
import type { PlatformConfig, PlatformOptions } from './platform.types';
import { PlatformLifecycle } from './platform-lifecycle';
import { ServiceAddress } from './service-address';

/**
 * Everything a CryptoScalp service shares: its validated config (the PLATFORM_OPTIONS token),
 * JSON logs with service and instance, metrics, health, the NATS connection (data plane,
 * heartbeats, events) and resilience policies. Redis and Postgres come from @cryptoscalp/redis
 * and @cryptoscalp/postgres.
 */
@Module({})
export class PlatformModule {
  static forRoot<C extends PlatformConfig>(options: PlatformOptions<C>): DynamicModule {
    const { config, service } = options;
    const instance = config.INSTANCE_ID;
    const providers: Provider[] = [
      { provide: PLATFORM_OPTIONS, useValue: options },
      { provide: Subjects, useFactory: () => new Subjects(config.NATS_SUBJECT_PREFIX) },
      { provide: ServiceAddress, useFactory: () => new ServiceAddress(config) },
      {
        provide: NatsConnector,
        inject: [MetricsRegistry],
        useFactory: (metrics: MetricsRegistry) =>
          new NatsConnector({
            servers: config.NATS_URL,
            name: `${service}/${instance}`,
            user: config.NATS_USER,
            pass: config.NATS_PASSWORD,
            token: config.NATS_TOKEN,
            subjectPrefix: config.NATS_SUBJECT_PREFIX,
            unrecoverableAfterMs: config.NATS_UNRECOVERABLE_AFTER_MS,
            metrics,
            logger: new Logger(NatsConnector.name),
          }),
      },
      { provide: ResilienceRegistry, inject: [MetricsRegistry], useFactory: (m: MetricsRegistry) => new ResilienceRegistry(m) },
      {
        provide: HeartbeatPublisher,
        inject: [NatsConnector, Subjects, HealthRegistry, ServiceAddress],
        useFactory: (nats: NatsConnector, subjects: Subjects, health: HealthRegistry, address: ServiceAddress) =>
          new HeartbeatPublisher(nats, subjects, {
            service,
            instance,
            version: config.APP_VERSION,
            healthUrl: () => `${address.url}/health`,
            intervalMs: config.HEARTBEAT_INTERVAL_MS,
            status: () => {
              // Re-evaluate in the background; the beat carries the latest known status.
              void health.evaluate();
              return health.lastStatus;
            },
          }),
      },
      EventPublisher,
      PlatformLifecycle,
    ];
    const exported: (string | symbol | Provider | (abstract new (...args: never[]) => unknown))[] = [
      PLATFORM_OPTIONS,
      Subjects,
      NatsConnector,
      ServiceAddress,
      ResilienceRegistry,
      HeartbeatPublisher,
      EventPublisher,
    ];
    const imports: DynamicModule['imports'] = [
      LoggerModule.forRoot({
        pinoHttp: {
          level: config.LOG_LEVEL,
          base: { service, instance, pid: process.pid },
          messageKey: 'msg',
          timestamp: () => `,"time":"${new Date().toISOString()}"`,
          // Probes and successful hot reads are logged too, below info (LOG_LEVEL=debug shows them).
          customLogLevel: httpLogLevelFor(options.hotRoutes),
          ...(config.LOG_PRETTY ? { transport: { target: 'pino-pretty', options: { singleLine: true } } } : {}),
        },
      }),
      MetricsModule.forRoot({ service, instance }),
      HealthModule.forRoot({ service, instance, version: config.APP_VERSION, checkTimeoutMs: config.HEALTH_CHECK_TIMEOUT_MS }),
    ];
    return { module: PlatformModule, global: true, imports, providers, exports: exported };
  }
}
