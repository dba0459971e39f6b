export function ago(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} m`;
  return `${Math.floor(ms / 3_600_000)} h`;
}

export function rate(r: number | null): string {
  if (r === null) return '–';
  if (r >= 1000) return `${(r / 1000).toFixed(1)}k/s`;
  return `${r >= 100 ? Math.round(r) : r.toFixed(1)}/s`;
}

export function ms(v: number | null): string {
  return v === null ? '–' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
}

export function pct(u: number | null): string {
  if (u === null) return '–';
  const p = u * 100;
  return `${p === 100 ? '100' : p >= 99.99 ? '99.99' : p.toFixed(2)}%`;
}

export function until(t: number, now: number): string {
  const d = t - now;
  return d <= 0 ? 'ended' : `${ago(d)} left`;
}

/** Bucket colour: pass above 99.9 %, warn above 95 %, fail below; no checks: none. */
export function bucketClass(u: number | null): string {
  if (u === null) return 'bar';
  return `bar ${u >= 0.999 ? 'pass' : u >= 0.95 ? 'warn' : 'fail'}`;
}

export function since(ms: number): string {
  return ms < 1000 ? 'just now' : `for ${ago(ms)}`;
}
