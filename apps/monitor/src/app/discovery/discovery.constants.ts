export const DISCOVERY_OPTIONS = Symbol('DISCOVERY_OPTIONS');

export interface DiscoveryOptions {
  staleAfterMs: number;
  forgetAfterMs: number;
  /** Static targets (MONITOR_TARGETS): polled, never expected to heartbeat. */
  staticTargets: { service: string; url: string }[];
}

/** `svc.event.<service>.<kind>` kinds that announce a clean shutdown. */
export const SHUTDOWN_EVENT_KINDS: readonly string[] = ['shutdown', 'stopping', 'draining'];
