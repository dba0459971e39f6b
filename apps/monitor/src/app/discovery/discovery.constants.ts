export const DISCOVERY_OPTIONS = Symbol('DISCOVERY_OPTIONS');

export interface DiscoveryOptions {
  staleAfterMs: number;
  forgetAfterMs: number;
}
