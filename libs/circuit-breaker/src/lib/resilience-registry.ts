import type { MetricsRegistry } from '@cryptoscalp/metrics';

import { type BreakerState, type PolicyOptions, ResiliencePolicy } from './resilience-policy';

const STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2, isolated: 3 };

export interface BreakerTransition {
  name: string;
  state: BreakerState;
  critical: boolean;
}

/**
 * Every policy in a service is created here under a unique name, so its breaker state is
 * exported as `cs_circuit_breaker_state{breaker}` (0 closed, 1 half-open, 2 open, 3 isolated),
 * transitions are counted, and health can list every breaker.
 */
export class ResilienceRegistry {
  private readonly policies = new Map<string, ResiliencePolicy>();
  private readonly listeners: ((t: BreakerTransition) => void)[] = [];

  constructor(private readonly metrics?: MetricsRegistry) {
    if (metrics) {
      const policies = this.policies;
      metrics.gauge('circuit_breaker_state', 'Circuit breaker state: 0 closed, 1 half-open, 2 open, 3 isolated', ['breaker'], function () {
        for (const p of policies.values()) this.set({ breaker: p.name }, STATE_VALUE[p.state]);
      });
    }
  }

  create(name: string, options: PolicyOptions): ResiliencePolicy {
    if (this.policies.has(name)) throw new Error(`a resilience policy named "${name}" already exists`);
    const transitions = this.metrics?.counter('circuit_breaker_transitions_total', 'Circuit breaker state changes', ['breaker', 'state']);
    const policy = new ResiliencePolicy(name, options, (p, state) => {
      transitions?.inc({ breaker: p.name, state });
      const event = { name: p.name, state, critical: Boolean(p.options.breaker?.critical) };
      for (const listener of this.listeners) listener(event);
    });
    this.policies.set(name, policy);
    return policy;
  }

  get(name: string): ResiliencePolicy | undefined {
    return this.policies.get(name);
  }

  list(): ResiliencePolicy[] {
    return [...this.policies.values()];
  }

  /** Called on every breaker transition (used to publish `svc.event.<service>.breaker`). */
  onTransition(listener: (t: BreakerTransition) => void): void {
    this.listeners.push(listener);
  }
}
