import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { read, root } from './testing/deploy-files';

/** Runs deploy/docker/prune-manifest.mjs on a fake build output whose main.js has `source`. */
function prune(source: string, lock?: object): { manifest: any; lock: any; status: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cs-prune-'));
  mkdirSync(join(dir, 'dist'));
  writeFileSync(join(dir, 'dist', 'main.js'), source);
  writeFileSync(join(dir, 'dist', 'package.json'), JSON.stringify({ name: 'app', dependencies: { typeorm: '*' } }));
  const args = [join(root, 'deploy/docker/prune-manifest.mjs'), join(dir, 'dist'), '--out', join(dir, 'out')];
  if (lock) {
    writeFileSync(join(dir, 'lock.json'), JSON.stringify(lock));
    args.push('--lock', join(dir, 'lock.json'));
  }
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const load = (f: string) => (r.status === 0 ? JSON.parse(readFileSync(join(dir, 'out', f), 'utf8')) : undefined);
  return { manifest: load('package.json'), lock: load('package-lock.json'), status: r.status, stderr: r.stderr };
}

describe('image manifest (deploy/docker/prune-manifest.mjs)', () => {
  // A lockfile whose closure is known by hand: a → b@1 (nested under a) and c; c → b@2 (hoisted);
  // c has an optional dependency d and a required peer e; z is in the lockfile but never loaded.
  const lock = {
    lockfileVersion: 3,
    packages: {
      '': { name: 'ws', dependencies: { a: '1', c: '1', z: '1' } },
      'node_modules/a': { version: '1.0.0', dependencies: { b: '^1', c: '1' } },
      'node_modules/a/node_modules/b': { version: '1.5.0', dev: true },
      'node_modules/b': { version: '2.0.0' },
      'node_modules/c': { version: '1.0.0', dependencies: { b: '^2' }, optionalDependencies: { d: '1' }, peerDependencies: { e: '1', f: '1' }, peerDependenciesMeta: { f: { optional: true } } },
      'node_modules/d': { version: '1.0.0', optional: true },
      'node_modules/e': { version: '1.0.0', peer: true },
      'node_modules/f': { version: '1.0.0' },
      'node_modules/z': { version: '9.9.9' },
    },
  };

  it('keeps exactly the closure of what the bundle requires (nested versions, optional deps, required peers); nothing else', () => {
    const r = prune('const a = require("a"); const fs = require("node:fs"); const p = require("path"); require("./local");', lock);
    expect(r.status).toBe(0);
    expect(Object.keys(r.lock.packages).sort()).toEqual(['', 'node_modules/a', 'node_modules/a/node_modules/b', 'node_modules/b', 'node_modules/c', 'node_modules/d', 'node_modules/e']);
    expect(r.manifest.dependencies).toEqual({ a: '1.0.0' });
    expect(r.lock.packages[''].dependencies).toEqual(r.manifest.dependencies);
    // Installed by `npm ci --omit=dev`: no package of the image may keep a dev flag.
    expect(Object.values(r.lock.packages).filter((p: any) => p.dev || p.devOptional)).toEqual([]);
    expect(r.lock.packages['node_modules/d'].optional).toBe(true);
    expect(r.lock.packages['node_modules/c'].optional).toBeUndefined();
  });

  it('fails the build when the bundle requires a package the lockfile does not hold', () => {
    const r = prune('require("missing-package")', lock);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('missing-package');
  });

  it('against the workspace lockfile: Nest apps get the HTTP adapter Nest loads by name; the simulator only ws', () => {
    const nest = prune('require("@nestjs/core"); require("@nestjs/common"); require("typeorm");');
    expect(nest.status).toBe(0);
    expect(Object.keys(nest.manifest.dependencies)).toEqual(expect.arrayContaining(['@nestjs/core', '@nestjs/platform-express', 'typeorm', 'pg']));
    expect(Object.keys(nest.lock.packages).filter((k) => k.endsWith('node_modules/express'))).not.toEqual([]);
    const sim = prune('require("ws"); require("node:http");');
    expect(Object.keys(sim.lock.packages)).toEqual(['', 'node_modules/ws']);
    // Nx's generated manifest (project graph) would have listed typeorm for every app: it is not copied.
    expect(sim.manifest.dependencies).toEqual({ ws: expect.any(String) });
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('deploy/docker/Dockerfile');
  const runtime = dockerfile.slice(dockerfile.indexOf(' AS runtime'));

  it('builds on an LTS (even-numbered) Node line, the same base for build and runtime', () => {
    const version = Number(/^ARG NODE_VERSION=(\d+)$/m.exec(dockerfile)?.[1]);
    expect(version % 2).toBe(0);
    expect(version).toBeGreaterThanOrEqual(22);
    expect([...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1])).toEqual(['node:${NODE_VERSION}-bookworm-slim', 'node:${NODE_VERSION}-bookworm-slim']);
  });

  it('runtime: pruned manifest, production install, slimmed modules, non-root, tini as PID 1, HEALTHCHECK, OCI labels', () => {
    expect(dockerfile).toMatch(/node deploy\/docker\/prune-manifest\.mjs "dist\/\$\{APP_DIR\}\/\$\{APP\}" --out \/workspace\/image/);
    expect(runtime).toMatch(/npm ci --omit=dev/);
    expect(runtime).toMatch(/slim-node-modules \/app\/node_modules/);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime.indexOf('USER node')).toBeLessThan(runtime.indexOf('CMD ['));
    expect(runtime).toMatch(/apt-get install -y --no-install-recommends tini/);
    expect(runtime).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(runtime).toMatch(/^CMD \["node", "main\.js"\]$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*CMD \["node", "\/app\/healthcheck\.js"\]$/m);
    for (const label of ['title', 'description', 'version', 'revision', 'created', 'source', 'licenses', 'vendor']) {
      expect(runtime).toContain(`org.opencontainers.image.${label}=`);
    }
  });

  it('copies only files that exist and are not excluded by .dockerignore', () => {
    const ignore = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of (m[1] as string).split(/\s+/).filter((s) => s !== '.')) {
        expect(() => readFileSync(join(root, src))).not.toThrow();
        expect(ignore.some((p) => src === p || src.startsWith(`${p}/`))).toBe(false);
      }
    }
  });

  it('.dockerignore keeps secrets, env files, dependencies, build output and VCS out of the build context', () => {
    const ignore = read('.dockerignore');
    for (const entry of ['node_modules', 'dist', '.git', '.nx', 'deploy/secrets', '**/.env', '**/.env.*', 'deploy/env/.env.production']) {
      expect(ignore.split('\n')).toContain(entry);
    }
    const check = spawnSync('git', ['check-ignore', '--no-index', '-q', 'deploy/secrets/postgres_password.txt'], { cwd: root });
    expect(check.status).toBe(0);
  });

  it('the compose file and prove-image.sh build the image the same way (one recipe)', () => {
    const prove = read('tools/scripts/prove-image.sh');
    expect(prove).toMatch(/prune-manifest\.mjs/);
    expect(prove).toMatch(/slim-node-modules\.sh/);
    expect(prove).toMatch(/npm ci --omit=dev/);
    expect(execFileSync('bash', ['-n', join(root, 'tools/scripts/prove-image.sh')]).toString()).toBe('');
  });
});
