import { type MetricsRegistry, PIPELINE_BUCKETS_SECONDS } from '@cryptoscalp/metrics';

export type OutKind = 'trade' | 'l1' | 'l2' | 'status';

/** Per-venue metrics, pre-bound to their labels so the hot path pays no label lookup. */
export interface VenueMetrics {
  frame(): void;
  out(kind: OutKind): void;
  parseError(): void;
  skipped(): void;
  gap(): void;
  resync(): void;
  checksum(ok: boolean): void;
  reconnect(): void;
  rotation(): void;
  snapshotRequest(): void;
  limiterWait(seconds: number): void;
  dropped(kind: OutKind): void;
  duplicateTrade(): void;
  /** Exchange event time → receive (seconds). */
  exchangeToReceive(seconds: number): void;
  /** Receive → handed to NATS (seconds). */
  receiveToPublish(seconds: number): void;
}

export const NOOP_METRICS: VenueMetrics = {
  frame: () => undefined,
  out: () => undefined,
  parseError: () => undefined,
  skipped: () => undefined,
  gap: () => undefined,
  resync: () => undefined,
  checksum: () => undefined,
  reconnect: () => undefined,
  rotation: () => undefined,
  snapshotRequest: () => undefined,
  limiterWait: () => undefined,
  dropped: () => undefined,
  duplicateTrade: () => undefined,
  exchangeToReceive: () => undefined,
  receiveToPublish: () => undefined,
};

/** Finer than the platform's latency buckets below 5 ms, where the receive → publish target (p99 ≤ 2 ms) sits. */
export const RECEIVE_TO_PUBLISH_BUCKETS_SECONDS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const FLUSH_MS = 1000;

/** `cs_gateway_*` series labelled `venue` (and `kind` where it applies). */
export function promVenueMetrics(registry: MetricsRegistry, venue: string): VenueMetrics {
  const c = (name: string, help: string) => registry.counter(`gateway_${name}`, help, ['venue']).labels(venue);
  const byKind = registry.counter('gateway_messages_out_total', 'Normalized messages published, by kind', ['venue', 'kind']);
  const dropped = registry.counter('gateway_messages_dropped_total', 'Messages dropped while NATS was unreachable (bounded buffer full)', [
    'venue',
    'kind',
  ]);
  const out = {
    trade: byKind.labels(venue, 'trade'),
    l1: byKind.labels(venue, 'l1'),
    l2: byKind.labels(venue, 'l2'),
    status: byKind.labels(venue, 'status'),
  };
  const drop = {
    trade: dropped.labels(venue, 'trade'),
    l1: dropped.labels(venue, 'l1'),
    l2: dropped.labels(venue, 'l2'),
    status: dropped.labels(venue, 'status'),
  };
  const frames = c('frames_in_total', 'WebSocket frames received');
  const parseErrors = c('parse_errors_total', 'Frames that could not be understood (dropped, logged truncated)');
  const skipped = c('frames_skipped_total', 'Frames of channels not carried, acks');
  const gaps = c('gaps_total', 'Sequence gaps detected');
  const resyncs = c('resyncs_total', 'Book resyncs (gap, checksum mismatch, crossed book)');
  const checks = registry.counter('gateway_checksums_total', 'Book checksums verified', ['venue', 'result']);
  const ok = checks.labels(venue, 'ok');
  const bad = checks.labels(venue, 'mismatch');
  const reconnects = c('reconnects_total', 'WebSocket reconnects');
  const rotations = c('rotations_total', 'Make-before-break connection rotations (planned or announced)');
  const snapshots = c('snapshot_requests_total', 'Book snapshot requests');
  const dups = c('duplicate_trades_total', 'Trades received more than once (not republished)');
  const waits = registry
    .histogram('gateway_limiter_wait_seconds', 'Time REST requests waited for the rate limiter', ['venue'])
    .labels(venue);
  const e2r = registry
    .histogram('gateway_exchange_to_receive_seconds', 'Exchange event time to gateway receive', ['venue'], PIPELINE_BUCKETS_SECONDS)
    .labels(venue);
  const r2p = registry
    .histogram('gateway_receive_to_publish_seconds', 'Gateway receive (WebSocket frame) to the message handed to the NATS client', ['venue'], RECEIVE_TO_PUBLISH_BUCKETS_SECONDS)
    .labels(venue);
  // Per-message counters are counted in plain numbers and added in bulk (a prom-client `inc` per
  // message costs a label hash); the exposition lags by at most FLUSH_MS.
  const pending = { frames: 0, trade: 0, l1: 0, l2: 0, status: 0 };
  const flush = () => {
    if (pending.frames) frames.inc(pending.frames);
    for (const k of ['trade', 'l1', 'l2', 'status'] as const) if (pending[k]) out[k].inc(pending[k]);
    pending.frames = pending.trade = pending.l1 = pending.l2 = pending.status = 0;
  };
  setInterval(flush, FLUSH_MS).unref();
  return {
    frame: () => {
      pending.frames++;
    },
    out: (k) => {
      pending[k]++;
    },
    parseError: () => parseErrors.inc(),
    skipped: () => skipped.inc(),
    gap: () => gaps.inc(),
    resync: () => resyncs.inc(),
    checksum: (isOk) => (isOk ? ok : bad).inc(),
    reconnect: () => reconnects.inc(),
    rotation: () => rotations.inc(),
    snapshotRequest: () => snapshots.inc(),
    limiterWait: (s) => waits.observe(s),
    dropped: (k) => drop[k].inc(),
    duplicateTrade: () => dups.inc(),
    exchangeToReceive: (s) => e2r.observe(s),
    receiveToPublish: (s) => r2p.observe(s),
  };
}
