import { HealthRegistry, postgresComponent } from '@cryptoscalp/health';

import { type DynamicModule, Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { PostgresConnector } from './postgres.connector';
import type { PostgresConfig } from './postgres.types';

/** Connects in the background, registers the `postgres` health component, closes the pool on shutdown. */
@Injectable()
export class PostgresLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly connector: PostgresConnector,
    private readonly health: HealthRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const connector = this.connector;
    this.health.register(
      postgresComponent(connector.dataSource, { lastError: () => connector.lastError, ready: () => connector.ready }),
    );
    connector.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connector.stop();
  }
}

/**
 * TypeORM on Postgres (pool size, schema, connect timeout) initialised in the background, so the
 * service boots and reports `fail` readiness while Postgres is down. The DataSource is injectable.
 */
@Module({})
export class PostgresModule {
  /**
   * `migrations` (with their own `migrationsTableName`) are registered on the DataSource for the
   * service to run once the connector is ready (`dataSource.runMigrations()`).
   */
  static forRoot(
    config: PostgresConfig,
    applicationName: string,
    extra: { migrations?: (new () => unknown)[]; migrationsTableName?: string } = {},
  ): DynamicModule {
    return {
      module: PostgresModule,
      global: true,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: config.POSTGRES_URL,
          password: config.POSTGRES_PASSWORD,
          schema: config.POSTGRES_SCHEMA,
          applicationName,
          poolSize: config.POSTGRES_POOL_MAX,
          connectTimeoutMS: config.POSTGRES_CONNECT_TIMEOUT_MS,
          // Every pooled connection resolves unqualified names in the service's schema first, so
          // raw SQL and COPY stay in it (per-test namespaces included); public stays reachable.
          extra: { options: `-c search_path=${config.POSTGRES_SCHEMA === 'public' ? 'public' : `"${config.POSTGRES_SCHEMA}",public`}` },
          // Initialised by PostgresConnector in the background.
          manualInitialization: true,
          autoLoadEntities: true,
          ...(extra.migrations ? { migrations: extra.migrations } : {}),
          ...(extra.migrationsTableName ? { migrationsTableName: extra.migrationsTableName } : {}),
          synchronize: false,
        }),
      ],
      providers: [
        {
          provide: PostgresConnector,
          inject: [DataSource],
          useFactory: (ds: DataSource) => new PostgresConnector(ds, config.POSTGRES_SCHEMA),
        },
        PostgresLifecycle,
      ],
      exports: [PostgresConnector],
    };
  }
}
