import { type PostgresConfig, PostgresModule } from '@cryptoscalp/postgres';

import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { SILENCE_STORE } from '../alerting/alerting.constants';
import { HISTORY_OPTIONS, type HistoryOptions } from './history.constants';
import { HistoryService } from './history.service';
import { MonitorHistory1767225600000 } from './migrations/1767225600000-monitor-history';
import { PostgresSilenceStore } from './postgres-silence.store';
import { RollupEntity } from './rollup.entity';
import { SilenceEntity } from './silence.entity';

/** Postgres history: rollups with retention, silences. Provides the silence store to alerting. */
@Module({})
export class HistoryModule {
  static forRoot(options: HistoryOptions, postgres: PostgresConfig, applicationName: string): DynamicModule {
    return {
      module: HistoryModule,
      global: true,
      imports: [
        PostgresModule.forRoot(postgres, applicationName, { migrations: [MonitorHistory1767225600000], migrationsTableName: 'monitor_migrations' }),
        TypeOrmModule.forFeature([RollupEntity, SilenceEntity])],
      providers: [{ provide: HISTORY_OPTIONS, useValue: options }, HistoryService, PostgresSilenceStore, { provide: SILENCE_STORE, useExisting: PostgresSilenceStore }],
      exports: [HistoryService, SILENCE_STORE],
    };
  }
}
