import type { HealthStatus } from '@cryptoscalp/messaging';

import type { InstanceView, RootCause } from './health.types';

const PRIORITY = ['nats', 'postgres', 'redis'];

/** The shared dependency a component stands for, if any. */
export function dependencyOf(component: string, reachable: boolean | null): string | undefined {
  if (component === 'nats') return 'nats';
  // A missed heartbeat from an instance that still answers HTTP: its NATS path is broken.
  if (component === 'heartbeat') return reachable ? 'nats' : undefined;
  if (component === 'redis' || component === 'postgres') return component;
  const venue = /^feeds?[:/_.-]([a-z0-9]+)/i.exec(component);
  if (venue) return `venue:${(venue[1] as string).toLowerCase()}`;
  return undefined;
}

const rank = (dep: string) => {
  const i = PRIORITY.indexOf(dep);
  return i < 0 ? PRIORITY.length : i;
};

/**
 * Names the likely root of a failure: the dependencies that failing instances share. A cause whose
 * instances are all covered by a broader cause listed before it is a consequence (`primary: false`).
 * `monitorSees` adds what the monitor observes itself (its own NATS connection down).
 */
export function findRootCauses(instances: InstanceView[], monitorSees: { dependency: string; output: string }[] = []): RootCause[] {
  const byDep = new Map<string, { status: HealthStatus; instances: Set<string>; services: Set<string>; outputs: Set<string> }>();
  const add = (dep: string, status: HealthStatus, inst: InstanceView | undefined, output?: string) => {
    const entry = byDep.get(dep) ?? { status: 'warn', instances: new Set<string>(), services: new Set<string>(), outputs: new Set<string>() };
    if (status === 'fail') entry.status = 'fail';
    if (inst) {
      entry.instances.add(inst.key);
      entry.services.add(inst.service);
    }
    if (output) entry.outputs.add(output);
    byDep.set(dep, entry);
  };
  for (const inst of instances) {
    if (inst.stopping || inst.starting || inst.status === 'pass') continue;
    for (const c of inst.components) {
      if (c.status === 'pass' || !c.dependency) continue;
      add(c.dependency, c.status, inst, c.output);
    }
  }
  for (const seen of monitorSees) {
    add(seen.dependency, 'fail', undefined, seen.output);
    // Instances cut off from NATS from the monitor's point of view: their heartbeats stopped.
    if (seen.dependency === 'nats') for (const inst of instances) if (inst.stale && !inst.stopping) add('nats', 'fail', inst);
  }
  const causes = [...byDep.entries()]
    .map(([dependency, e]) => ({ dependency, ...e }))
    .sort((a, b) => b.instances.size - a.instances.size || rank(a.dependency) - rank(b.dependency) || a.dependency.localeCompare(b.dependency));
  const result: RootCause[] = [];
  for (const c of causes) {
    const covered = result.some((r) => r.primary && [...c.instances].every((i) => r.instances.includes(i)) && c.instances.size > 0);
    const n = c.instances.size;
    const what = c.dependency.startsWith('venue:') ? `venue ${c.dependency.slice(6)}` : c.dependency;
    const detail = [...c.outputs][0];
    result.push({
      dependency: c.dependency,
      status: c.status,
      instances: [...c.instances].sort(),
      services: [...c.services].sort(),
      primary: !covered,
      summary: `${what} ${c.status === 'fail' ? 'is down' : 'is degraded'}${n ? `: ${n} instance${n === 1 ? '' : 's'} of ${[...c.services].sort().join(', ')} affected` : ''}${detail ? ` (${detail.slice(0, 160)})` : ''}`,
    });
  }
  return result;
}
