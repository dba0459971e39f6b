export const METRICS_SCRAPE_OPTIONS = Symbol('METRICS_SCRAPE_OPTIONS');

export interface MetricsScrapeOptions {
  intervalMs: number;
  timeoutMs: number;
  selfKey: string;
}
