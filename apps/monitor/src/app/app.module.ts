import { PlatformModule } from '@cryptoscalp/platform';

import { hostname } from 'node:os';
import { join } from 'node:path';
import { type DynamicModule, Module } from '@nestjs/common';

import { AggregationModule } from './aggregation/aggregation.module';
import { AlertingModule } from './alerting/alerting.module';
import { ApiModule } from './api/api.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { DiscoveryModule } from './discovery/discovery.module';
import { FeedsModule } from './feeds/feeds.module';
import { HistoryModule } from './history/history.module';
import { MetricsScrapeModule } from './metrics/metrics-scrape.module';
import { type MonitorConfig, staleAfterMs } from './monitor.config';
import { PollingModule } from './polling/polling.module';

export const SERVICE_NAME = 'monitor';

export interface AppModuleOverrides {
  /** Where the dashboard assets are (default: `dashboard/` next to the bundle). */
  assetsDir?: string;
}

@Module({})
export class AppModule {
  static forRoot(config: MonitorConfig, overrides: AppModuleOverrides = {}): DynamicModule {
    const selfKey = `${SERVICE_NAME}/${config.INSTANCE_ID}`;
    const damping = {
      failAfter: config.MONITOR_FAIL_AFTER,
      passAfter: config.MONITOR_PASS_AFTER,
      flapChanges: config.MONITOR_FLAP_CHANGES,
      flapWindowMs: config.MONITOR_FLAP_WINDOW_MS,
    };
    const anomaly = {
      ewmaAlpha: config.MONITOR_ANOMALY_EWMA_ALPHA,
      z: config.MONITOR_ANOMALY_Z,
      warmup: config.MONITOR_ANOMALY_WARMUP,
      madWindow: config.MONITOR_ANOMALY_MAD_WINDOW,
      madK: config.MONITOR_ANOMALY_MAD_K,
      staleAfterMs: config.MONITOR_FEED_STALE_AFTER_MS,
    };
    const externalUrl = config.PUBLIC_URL ?? `http://${hostname()}:${config.HTTP_PORT}`;
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ service: SERVICE_NAME, config }),
        DiscoveryModule.forRoot({ staleAfterMs: staleAfterMs(config), forgetAfterMs: config.MONITOR_FORGET_AFTER_MS, staticTargets: config.MONITOR_TARGETS }),
        AggregationModule.forRoot({
          ...damping,
          pollIntervalMs: config.MONITOR_POLL_INTERVAL_MS,
          pollTimeoutMs: config.MONITOR_POLL_TIMEOUT_MS,
          evalIntervalMs: config.MONITOR_EVAL_INTERVAL_MS,
          selfKey,
          startupGraceMs: config.MONITOR_STARTUP_GRACE_MS,
        }),
        PollingModule,
        FeedsModule.forRoot({ ...anomaly, pollIntervalMs: config.MONITOR_POLL_INTERVAL_MS, pollTimeoutMs: config.MONITOR_POLL_TIMEOUT_MS, feedServices: ['market-data-gateway'] }),
        MetricsScrapeModule.forRoot({ intervalMs: config.MONITOR_METRICS_INTERVAL_MS, timeoutMs: config.MONITOR_POLL_TIMEOUT_MS, selfKey }),
        ...(config.MONITOR_HISTORY
          ? [
              HistoryModule.forRoot(
                {
                  flushMs: config.MONITOR_HISTORY_FLUSH_MS,
                  retention: { minuteDays: config.MONITOR_RETENTION_MINUTE_DAYS, hourDays: config.MONITOR_RETENTION_HOUR_DAYS, dayDays: config.MONITOR_RETENTION_DAY_DAYS },
                },
                config,
                selfKey,
              ),
            ]
          : []),
        AlertingModule.forRoot({
          rulesFile: config.MONITOR_RULES_FILE,
          externalUrl: () => externalUrl,
          latency: { window: config.MONITOR_ANOMALY_MAD_WINDOW, k: config.MONITOR_ANOMALY_MAD_K, warmup: config.MONITOR_ANOMALY_WARMUP },
          delivery: { maxAttempts: 8, initialDelayMs: 500, maxDelayMs: 30_000 },
        }),
        ApiModule.forRoot({ token: config.MONITOR_API_TOKEN }),
        DashboardModule.forRoot({ assetsDir: overrides.assetsDir ?? join(__dirname, 'dashboard'), seriesPoints: 3600 }),
      ],
    };
  }
}
