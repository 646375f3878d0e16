import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A workspace package that is published: its folder and manifest. */
export interface PublishablePackage {
  name: string;
  dir: string;
  manifest: Manifest;
}

export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  exports?: unknown;
  main?: string;
  module?: string;
  types?: string;
  bin?: string | Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  publishConfig?: { exports?: unknown };
  optionalDependencies?: Record<string, string>;
}

const readManifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

/** Every non-private package under `packages/` and `apps/`. */
export function publishablePackages(root: string): PublishablePackage[] {
  return ['packages', 'apps'].flatMap((group) =>
    readdirSync(join(root, group), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(root, group, entry.name))
      .map((dir) => ({ dir, manifest: readManifest(dir) }))
      .filter(({ manifest }) => manifest.private !== true)
      .map(({ dir, manifest }) => ({ name: manifest.name, dir, manifest })),
  );
}

/** `pnpm pack` of one package into `destination`; returns the tarball's path. */
export function pack(pkg: PublishablePackage, destination: string): string {
  const out = execFileSync('pnpm', ['pack', '--pack-destination', destination], {
    cwd: pkg.dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tarball = out
    .trim()
    .split('\n')
    .reverse()
    .find((line) => line.trim().endsWith('.tgz'));
  if (tarball === undefined) throw new Error(`pnpm pack printed no tarball for ${pkg.name}:\n${out}`);
  return tarball.trim();
}

/** The files in a tarball, relative to its `package/` folder. */
export function tarballFiles(tarball: string): string[] {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.startsWith('package/') && !line.endsWith('/'))
    .map((line) => line.slice('package/'.length));
}

/** The manifest inside a tarball (what npm would install, after pnpm's publishConfig rewrite). */
export function tarballManifest(tarball: string): Manifest {
  return JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
}

/** Every file path an `exports` map (or main/module/types/bin) points at. */
function exportTargets(manifest: Manifest): string[] {
  const targets: string[] = [];
  const walk = (node: unknown): void => {
    if (typeof node === 'string') targets.push(node);
    else if (typeof node === 'object' && node !== null) for (const value of Object.values(node)) walk(value);
  };
  walk(manifest.exports);
  walk(manifest.bin);
  for (const field of [manifest.main, manifest.module, manifest.types]) if (field) targets.push(field);
  return targets.map((target) => target.replace(/^\.\//, ''));
}

/** What is wrong with a packed manifest: workspace-only conditions, missing files, unresolved workspace ranges. */
export function manifestProblems(manifest: Manifest, files: readonly string[]): string[] {
  const problems: string[] = [];
  if (JSON.stringify(manifest.exports ?? {}).includes('dev-source')) {
    problems.push('exports keep the dev-source condition (it points at ./src, which is not shipped)');
  }
  const shipped = new Set(files);
  for (const target of exportTargets(manifest)) {
    if (!shipped.has(target)) problems.push(`${target} is referenced but not in the tarball`);
  }
  const ranges = { ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies };
  for (const [name, range] of Object.entries(ranges)) {
    if (range.startsWith('workspace:')) problems.push(`${name} keeps the range ${range}`);
  }
  if (!shipped.has('README.md')) problems.push('README.md is not shipped');
  return problems;
}

/** An `exports` map without the workspace-only `dev-source` condition: what a published manifest carries. */
export function withoutDevSource(node: unknown): unknown {
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key]) => key !== 'dev-source')
      .map(([key, value]) => [key, withoutDevSource(value)]),
  );
}
