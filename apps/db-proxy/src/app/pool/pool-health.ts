import type { HealthComponent } from '@cryptoscalp/health';

import type { PoolManager } from './pool-manager';
import type { SchemaState } from './schema-state';

/**
 * `postgres`: pass with a primary and every node admitted; warn when degraded (a node ejected, or
 * no primary while replicas still serve reads: ingest waits); fail when no node answers or the
 * schema is not migrated. Observed value: the primary's (else the best node's) probe latency.
 */
export function poolHealthComponent(pool: PoolManager, schema: SchemaState): HealthComponent {
  return {
    name: 'postgres',
    critical: true,
    check() {
      const nodes = pool.status();
      const up = nodes.filter((n) => n.healthy);
      const primary = pool.primary?.status();
      const latency = primary?.latencyMs ?? up.map((n) => n.latencyMs ?? Infinity).sort((a, b) => a - b)[0];
      const base = { componentType: 'datastore', observedUnit: 'ms', ...(latency !== undefined && Number.isFinite(latency) ? { observedValue: latency } : {}) };
      if (up.length === 0) {
        const why = nodes.map((n) => `${n.name}: ${n.lastError ?? 'not probed yet'}`).join('; ');
        return { ...base, status: 'fail', output: `Postgres not connected (${why})` };
      }
      if (!schema.ready) return { ...base, status: 'fail', output: `Postgres schema not migrated yet${schema.lastError ? `: ${schema.lastError}` : ''}` };
      if (!primary) return { ...base, status: 'warn', output: `no Postgres primary (reads only): ${nodes.map((n) => `${n.name} ${n.healthy ? n.role : 'down'}`).join(', ')}` };
      const down = nodes.filter((n) => !n.healthy);
      if (down.length) return { ...base, status: 'warn', output: `Postgres node(s) ejected: ${down.map((n) => `${n.name} (${n.lastError ?? 'down'})`).join(', ')}` };
      return { ...base, status: 'pass' };
    },
  };
}
