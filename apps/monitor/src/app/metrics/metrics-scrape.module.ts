import { type DynamicModule, Module } from '@nestjs/common';

import { METRICS_SCRAPE_OPTIONS, type MetricsScrapeOptions } from './metrics.constants';
import { MetricsScraperService } from './metrics-scraper.service';

@Module({})
export class MetricsScrapeModule {
  static forRoot(options: MetricsScrapeOptions): DynamicModule {
    return {
      module: MetricsScrapeModule,
      global: true,
      providers: [{ provide: METRICS_SCRAPE_OPTIONS, useValue: options }, MetricsScraperService],
      exports: [MetricsScraperService],
    };
  }
}
