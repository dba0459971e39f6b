export interface MetricFamily {
  name: string;
  help: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string> }[];
}

/** Parses Prometheus text exposition (throws on malformed input) using parse-prometheus-text-format. */
export function parsePrometheusText(text: string): MetricFamily[] {
  // The package ships no type declarations.
  const parse = require('parse-prometheus-text-format') as (t: string) => MetricFamily[];
  return parse(text);
}
