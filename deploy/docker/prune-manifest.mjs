#!/usr/bin/env node
// Writes the package.json and package-lock.json an image installs: only the packages the built
// bundle loads, with exactly the versions of the workspace's package-lock.json.
//
//   node deploy/docker/prune-manifest.mjs dist/apps/db-proxy --out /tmp/image [--lock package-lock.json]
//
// Why not the build's generated package.json: Nx derives it from the project graph, where a library
// counts as one node, so every app that uses libs/platform inherits typeorm, @nestjs/typeorm and
// ioredis whether or not its bundle loads them. Here the oracle is the bundle itself: every
// `require("<package>")` webpack left external in main.js, plus the packages those load by name
// at run time (RUNTIME_LOADED), closed over the lockfile (dependencies, optional dependencies and
// required peers: what `npm ci` would install for them).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Packages a loaded package requires by name at run time, invisible in the bundle's requires. */
export const RUNTIME_LOADED = {
  // NestFactory.create loads the HTTP adapter with loadPackage('@nestjs/platform-express').
  '@nestjs/core': ['@nestjs/platform-express'],
  // TypeORM's postgres driver loads `pg` with PlatformTools.load('pg').
  typeorm: ['pg'],
};

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Package names a bundle requires (`require("x")`, `require("@s/x/sub")` → `@s/x`), node built-ins excluded. */
export function bundleRequires(source) {
  const names = new Set();
  for (const m of source.matchAll(/\brequire\(\s*["']([^"'./][^"']*)["']\s*\)/g)) {
    const spec = m[1];
    if (builtins.has(spec) || builtins.has(spec.split('/')[0])) continue;
    const parts = spec.split('/');
    names.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
  }
  return [...names].sort();
}

/** Where npm would find `name` when required from the package installed at `from` ('' = the root). */
function resolveIn(packages, from, name) {
  let base = from;
  for (;;) {
    const key = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[key] && !packages[key].link) return key;
    if (!base) return undefined;
    const i = base.lastIndexOf('/node_modules/');
    base = i < 0 ? '' : base.slice(0, i);
  }
}

/**
 * Prunes a v2/v3 lockfile to the closure of `roots`; returns { manifest, lock, missing }.
 * `missing` lists required packages the lockfile does not hold (the build must fail on them).
 */
export function pruneLock(rootLock, roots, name) {
  const packages = rootLock.packages;
  const keep = new Map();
  const missing = [];
  const queue = [];
  const visit = (from, dep, optional) => {
    const key = resolveIn(packages, from, dep);
    if (!key) {
      if (!optional) missing.push(`${dep} (required by ${from || 'the bundle'})`);
      return;
    }
    if (keep.has(key)) {
      if (!optional) keep.get(key).optional = false;
      return;
    }
    keep.set(key, { optional });
    queue.push(key);
  };
  for (const dep of roots) visit('', dep, false);
  while (queue.length) {
    const key = queue.shift();
    const entry = packages[key];
    const optionalHere = keep.get(key).optional;
    for (const dep of Object.keys(entry.dependencies ?? {})) visit(key, dep, optionalHere);
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(key, dep, true);
    const peerMeta = entry.peerDependenciesMeta ?? {};
    for (const dep of Object.keys(entry.peerDependencies ?? {})) {
      if (!peerMeta[dep]?.optional) visit(key, dep, optionalHere);
    }
  }
  // Optional flags are recomputed for the pruned tree; dev flags no longer apply (everything here is production).
  const dependencies = Object.fromEntries(roots.map((dep) => [dep, packages[`node_modules/${dep}`]?.version ?? '*']));
  const pruned = { '': { name, version: '0.0.1', dependencies } };
  for (const key of [...keep.keys()].sort()) {
    const { dev, devOptional, peer, optional, ...rest } = packages[key];
    void dev;
    void devOptional;
    void peer;
    void optional;
    pruned[key] = keep.get(key).optional ? { ...rest, optional: true } : rest;
  }
  const manifest = { name, version: '0.0.1', private: true, main: 'main.js', dependencies };
  const lock = { name, version: '0.0.1', lockfileVersion: 3, requires: true, packages: pruned };
  return { manifest, lock, missing };
}

function main() {
  const args = process.argv.slice(2);
  const opt = (flag) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args.splice(i, 2)[1] : undefined;
  };
  const here = dirname(fileURLToPath(import.meta.url));
  const lockPath = resolve(opt('--lock') ?? join(here, '..', '..', 'package-lock.json'));
  const out = opt('--out');
  const dist = args[0];
  if (!dist || !out) {
    process.stderr.write('usage: prune-manifest.mjs <dist/apps/app> --out <dir> [--lock package-lock.json]\n');
    process.exit(2);
  }
  const source = readFileSync(join(dist, 'main.js'), 'utf8');
  const required = bundleRequires(source);
  const roots = [...new Set([...required, ...required.flatMap((p) => RUNTIME_LOADED[p] ?? [])])].sort();
  const name = JSON.parse(readFileSync(join(dist, 'package.json'), 'utf8')).name;
  const { manifest, lock, missing } = pruneLock(JSON.parse(readFileSync(lockPath, 'utf8')), roots, name);
  if (missing.length) {
    process.stderr.write(`prune-manifest: not in ${lockPath}: ${missing.join(', ')}\n`);
    process.exit(1);
  }
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(out, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  process.stdout.write(`${name}: ${roots.length} direct, ${Object.keys(lock.packages).length - 1} packages in the image's lockfile\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
