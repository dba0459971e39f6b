export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The sample's own name (`x_bucket`, `x_sum`, `x_count` for a histogram `x`). */
  metricName: string;
  labels: Record<string, string>;
  value: number;
}

/** One metric family, in the shape of prom-client's `getMetricsAsJSON()` (what its aggregator takes). */
export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  aggregator: 'sum';
  values: Sample[];
}

const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count'] };

function parseValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  if (v === 'NaN') return NaN;
  return Number(v);
}

function unescapeLabel(v: string): string {
  return v.replace(/\\(n|"|\\)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** Parses `{a="x",b="y\"z"}` starting at `i` (the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, i: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  i++;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return [labels, i + 1];
    const eq = line.indexOf('=', i);
    if (eq < 0 || line[eq + 1] !== '"') throw new Error('malformed labels');
    const name = line.slice(i, eq).trim();
    let j = eq + 2;
    let raw = '';
    while (j < line.length && line[j] !== '"') {
      if (line[j] === '\\') {
        raw += line.slice(j, j + 2);
        j += 2;
      } else raw += line[j++];
    }
    if (j >= line.length) throw new Error('unterminated label value');
    labels[name] = unescapeLabel(raw);
    i = j + 1;
  }
}

/**
 * Prometheus text exposition (version 0.0.4) → metric families in prom-client's JSON shape.
 * Lines that do not parse are skipped and counted in `invalid` (input from other processes).
 */
export function parsePrometheusText(text: string): { families: MetricFamily[]; invalid: number } {
  const families = new Map<string, MetricFamily>();
  const types = new Map<string, MetricType>();
  const helps = new Map<string, string>();
  let invalid = 0;
  const familyOf = (sampleName: string): string => {
    if (types.has(sampleName) && !SUFFIXES[types.get(sampleName) as string]) return sampleName;
    for (const [fam, type] of types) {
      for (const suffix of SUFFIXES[type] ?? []) if (sampleName === fam + suffix) return fam;
    }
    return sampleName;
  };
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)\s*(.*)$/.exec(line);
      if (m) {
        if (m[1] === 'TYPE') types.set(m[2] as string, (['counter', 'gauge', 'histogram', 'summary'].includes(m[3] as string) ? m[3] : 'untyped') as MetricType);
        else helps.set(m[2] as string, (m[3] as string).replace(/\\n/g, '\n').replace(/\\\\/g, '\\'));
      }
      continue;
    }
    try {
      const nameEnd = line.search(/[{\s]/);
      if (nameEnd <= 0) throw new Error('no name');
      const metricName = line.slice(0, nameEnd);
      let labels: Record<string, string> = {};
      let rest = nameEnd;
      if (line[nameEnd] === '{') [labels, rest] = parseLabels(line, nameEnd);
      const value = parseValue(line.slice(rest).trim().split(/\s+/)[0] ?? '');
      if (Number.isNaN(value) && !/NaN/.test(line.slice(rest))) throw new Error('bad value');
      const fam = familyOf(metricName);
      let family = families.get(fam);
      if (!family) {
        family = { name: fam, help: helps.get(fam) ?? '', type: types.get(fam) ?? 'untyped', aggregator: 'sum', values: [] };
        families.set(fam, family);
      }
      family.values.push({ metricName, labels, value });
    } catch {
      invalid++;
    }
  }
  return { families: [...families.values()], invalid };
}
