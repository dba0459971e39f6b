import { loadConfig } from '@cryptoscalp/config';

import { read, schemaOf, schemaVariables, SERVICES, simulatorVariables } from './testing/deploy-files';

/** `NAME=` and `# NAME=` lines of the example file. */
function documented(text: string): { set: string[]; all: string[] } {
  const set: string[] = [];
  const all: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^(#\s*)?([A-Z][A-Z0-9_]*)=/.exec(line);
    if (!m) continue;
    all.push(m[2] as string);
    if (!m[1]) set.push(m[2] as string);
  }
  return { set, all };
}

describe('deploy/env/.env.production.example', () => {
  const text = read('deploy/env/.env.production.example');
  const { set, all } = documented(text);
  const composeOnly = [...read('docker-compose.prod.yml').matchAll(/\$\{([A-Z_]+)[:-]/g)].map((m) => m[1] as string);

  it.each(SERVICES)('documents every variable of the %s configuration schema', (service) => {
    const missing = schemaVariables(service).filter((v) => !all.includes(v));
    expect(missing).toEqual([]);
  });

  it("documents the exchange simulator's variables", () => {
    expect(simulatorVariables().filter((v) => !all.includes(v))).toEqual([]);
  });

  it('names no variable that nothing reads (a typo would be silently ignored)', () => {
    const known = new Set([...SERVICES.flatMap(schemaVariables), ...simulatorVariables(), ...composeOnly]);
    expect(all.filter((v) => !known.has(v))).toEqual([]);
  });

  it('sets no secret: secrets are files (deploy/secrets) passed as <NAME>_FILE', () => {
    expect(set.filter((v) => /PASSWORD|TOKEN|SECRET|PASSPHRASE|API_KEY/.test(v))).toEqual([]);
    for (const secret of ['NATS_PASSWORD', 'REDIS_PASSWORD', 'POSTGRES_PASSWORD', 'MONITOR_API_TOKEN']) {
      expect(text).toMatch(new RegExp(`^# ${secret}=.*${secret}_FILE`, 'm'));
    }
  });

  it('every value it sets is valid for the services that read it (the schemas parse them)', () => {
    const values: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (m) values[m[1] as string] = (m[2] as string).replace(/\s+#.*$/, '').trim();
    }
    for (const service of SERVICES) {
      const vars = schemaVariables(service);
      const env = Object.fromEntries(Object.entries(values).filter(([k, v]) => vars.includes(k) && v !== ''));
      expect(() => loadConfig(schemaOf(service), { env })).not.toThrow();
    }
  });
});
