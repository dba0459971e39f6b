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
  const r2p = registry.histogram('gateway_receive_to_publish_seconds', 'Gateway receive to NATS publish', ['venue']).labels(venue);
  return {
    frame: () => frames.inc(),
    out: (k) => out[k].inc(),
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
