import { Inject, Injectable } from '@nestjs/common';
import { HealthCheckService, type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';

import {
  type CheckEntry,
  type ComponentResult,
  HEALTH_MODULE_OPTIONS,
  type HealthBody,
  type HealthComponent,
  type HealthModuleOptions,
  type HealthStatus,
  type LivenessCheck,
  worst,
} from './health.types';

function withTimeout<T>(work: Promise<T> | T, ms: number, name: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} check timed out after ${ms} ms`)), ms);
    Promise.resolve(work).then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/**
 * Holds every health component of the service and evaluates them through Terminus
 * (each component is one Terminus indicator), then renders the IETF health-check body with the
 * tri-state status that Terminus's up/down does not carry.
 */
@Injectable()
export class HealthRegistry {
  private readonly components = new Map<string, HealthComponent>();
  private readonly liveness = new Map<string, LivenessCheck>();
  private last: HealthStatus = 'fail';
  private draining = false;

  constructor(
    @Inject(HEALTH_MODULE_OPTIONS) private readonly options: HealthModuleOptions,
    private readonly terminus: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  register(component: HealthComponent): void {
    this.components.set(component.name, component);
  }

  /**
   * A condition only a restart can cure (a NATS connection that cannot be rebuilt, a wedged
   * worker): it makes liveness fail, so the orchestrator restarts the process. Never register a
   * dependency outage here — that is readiness.
   */
  registerLiveness(check: LivenessCheck): void {
    this.liveness.set(check.name, check);
  }

  /** Results of the liveness checks, synchronous and cheap (liveness is probed often). */
  livenessResults(): { name: string; result: ComponentResult }[] {
    return [...this.liveness.values()].map((check) => {
      try {
        return { name: check.name, result: check.check() };
      } catch (err) {
        return { name: check.name, result: { status: 'fail', output: (err as Error).message } };
      }
    });
  }

  unregister(name: string): void {
    this.components.delete(name);
  }

  names(): string[] {
    return [...this.components.keys()];
  }

  /** Set on SIGTERM: readiness answers 503 from now on while work drains. */
  startDraining(): void {
    this.draining = true;
    this.last = 'fail';
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** The status of the last evaluation (cheap; used by heartbeats). */
  get lastStatus(): HealthStatus {
    return this.last;
  }

  async evaluate(): Promise<HealthBody> {
    const results = new Map<string, ComponentResult>();
    const indicators = [...this.components.values()].map((component) => async (): Promise<HealthIndicatorResult> => {
      const indicator = this.indicators.check(component.name);
      let result: ComponentResult;
      try {
        result = await withTimeout(component.check(), this.options.checkTimeoutMs, component.name);
      } catch (err) {
        result = { status: 'fail', output: (err as Error).message };
      }
      results.set(component.name, result);
      return result.status === 'fail' ? indicator.down({ output: result.output }) : indicator.up();
    });
    // Terminus runs the indicators (and rejects with 503 when one is down); the tri-state body
    // is computed below from the component results, which carry more than Terminus's up/down.
    await this.terminus.check(indicators).catch(() => undefined);
    const time = new Date().toISOString();
    const checks: Record<string, CheckEntry[]> = {};
    const statuses: HealthStatus[] = [];
    for (const component of this.components.values()) {
      const r = results.get(component.name) ?? { status: 'fail', output: 'not evaluated' };
      const effective: HealthStatus = r.status === 'fail' && !component.critical ? 'warn' : r.status;
      statuses.push(effective);
      checks[`${component.name}:${r.measurement ?? 'responseTime'}`] = [
        {
          componentId: component.name,
          componentType: r.componentType ?? 'component',
          status: r.status,
          ...(r.observedValue !== undefined ? { observedValue: r.observedValue } : {}),
          ...(r.observedUnit ? { observedUnit: r.observedUnit } : {}),
          ...(r.output ? { output: r.output } : {}),
          critical: component.critical,
          time,
        },
      ];
    }
    let status = worst(statuses);
    let output: string | undefined;
    if (this.draining) {
      status = 'fail';
      output = 'shutting down';
    } else if (status !== 'pass') {
      output = Object.values(checks)
        .flat()
        .filter((c) => c.status !== 'pass')
        .map((c) => `${c.componentId}: ${c.output ?? c.status}`)
        .join('; ');
    }
    this.last = status;
    return {
      status,
      version: '1',
      releaseId: this.options.version,
      serviceId: `${this.options.service}/${this.options.instance}`,
      description: `${this.options.service} instance ${this.options.instance}`,
      ...(output ? { output } : {}),
      checks,
    };
  }
}
