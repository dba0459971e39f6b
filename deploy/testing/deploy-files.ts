import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';

export { default as Ajv } from 'ajv';

/** The repository root. */
export const root = join(__dirname, '..', '..');
export const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** YAML as Compose and kustomize read it (merge keys `<<:` resolved). */
export function parseYaml<T = any>(text: string): T {
  return YAML.parse(text, { merge: true }) as T;
}
export function parseYamlAll(text: string): any[] {
  return YAML.parseAllDocuments(text, { merge: true })
    .map((d) => d.toJSON())
    .filter((d) => d !== null);
}

/** The deployables, their directories and the HTTP port their configuration defaults to. */
export const SERVICES = ['market-data-gateway', 'cache-service', 'db-proxy', 'monitor'] as const;
export type Service = (typeof SERVICES)[number];

const SCHEMA_EXPORTS: Record<Service, [string, string]> = {
  'market-data-gateway': ['apps/market-data-gateway/src/app/market-data-gateway.config.ts', 'GatewayConfigSchema'],
  'cache-service': ['apps/cache-service/src/app/cache-service.config.ts', 'CacheConfigSchema'],
  'db-proxy': ['apps/db-proxy/src/app/db-proxy.config.ts', 'DbProxyConfigSchema'],
  monitor: ['apps/monitor/src/app/monitor.config.ts', 'MonitorConfigSchema'],
};

/**
 * The variables of a service's configuration schema, read from the schema object itself (the source
 * of truth), not from a copy. Loaded at run time by path: the deploy project tests the apps' files
 * as data and must not become a build dependency of them (module boundaries).
 */
export function schemaOf(service: Service): any {
  const [file, name] = SCHEMA_EXPORTS[service];
   
  return require(join(root, file))[name];
}

export function schemaVariables(service: Service): string[] {
  const name = SCHEMA_EXPORTS[service][1];
  const schema = schemaOf(service);
  const shape = schema.shape ?? schema.def?.in?.shape ?? schema._def?.schema?.shape;
  if (!shape) throw new Error(`${name}: no object shape found`);
  return Object.keys(shape).sort();
}

/** What the default of a schema variable parses to (validated with an otherwise empty environment). */
export function schemaDefaults(service: Service): Record<string, unknown> {
  const parsed = schemaOf(service).safeParse({});
  if (!parsed.success) throw new Error(`${SCHEMA_EXPORTS[service][1]} does not parse an empty environment`);
  return parsed.data;
}

/** The exchange simulator's environment: the `env['X']` it reads in its main.ts. */
export function simulatorVariables(): string[] {
  const main = read('tools/exchange-simulator/src/main.ts');
  return [...new Set([...main.matchAll(/env\['([A-Z_]+)'\]/g)].map((m) => m[1] as string))].sort();
}

/** Whether a command is on PATH. */
export function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** `kubectl kustomize <dir>` → the manifests it renders. */
export function kustomize(dir: string): any[] {
  return parseYamlAll(execFileSync('kubectl', ['kustomize', join(root, dir)], { encoding: 'utf8' }));
}

/** Every source file under a folder (production code: specs excluded). */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(join(root, d), { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(p);
      } else if (/\.ts$/.test(e.name) && !/\.(int-)?spec\.ts$/.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}
