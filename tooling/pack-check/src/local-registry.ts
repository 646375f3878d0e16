import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { type Manifest, type PublishablePackage, tarballManifest } from './packing.js';

/** A loopback npm registry: `url` for `npm install --registry`. */
export interface LocalRegistry {
  readonly url: string;
  /** Package names and versions it serves. */
  readonly packages: readonly string[];
  close(): Promise<void>;
}

export interface LocalRegistryOptions {
  /** Packed Kalisto packages by name (`pnpm pack` output). */
  tarballs: ReadonlyMap<string, string>;
  /** The workspace's packages by name: where their third-party dependencies were installed. */
  workspace: ReadonlyMap<string, PublishablePackage>;
  /** The packages to serve, with everything they need (dependencies and required peers). */
  roots: readonly string[];
  /** Where to write the tarballs of third-party packages. */
  dir: string;
  /**
   * Names the registry answers 404 for, as npmjs.org does for a package not published yet (the
   * @kalisto packages today): an install must bring their tarballs along.
   */
  unpublished?: (name: string) => boolean;
}

interface Served {
  manifest: Manifest;
  tarball: string;
}

/** The directory `name` resolves to from `from`, as Node resolves it (the pnpm layout included). */
function resolvePackageDir(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

/** What a manifest needs installed: dependencies, optional ones found, and required peers. */
function needed(manifest: Manifest): { name: string; optional: boolean }[] {
  const optionalPeer = (name: string) => manifest.peerDependenciesMeta?.[name]?.optional === true;
  return [
    ...Object.keys(manifest.dependencies ?? {}).map((name) => ({ name, optional: false })),
    ...Object.keys(manifest.optionalDependencies ?? {}).map((name) => ({ name, optional: true })),
    ...Object.keys(manifest.peerDependencies ?? {}).map((name) => ({ name, optional: optionalPeer(name) })),
  ];
}

/**
 * A third-party package directory as a registry tarball (`package/…`, without node_modules).
 * pnpm's store hard-links identical files, and npm drops hard-link entries when it extracts: each
 * is stored as the file it is (`--hard-dereference`).
 */
function packDirectory(dir: string, into: string, manifest: Manifest): string {
  const file = join(into, `${manifest.name.replace('/', '__')}-${manifest.version}.tgz`);
  if (!existsSync(file)) {
    execFileSync('tar', [
      '--hard-dereference',
      '-czf',
      file,
      '-C',
      dir,
      '--exclude=./node_modules',
      '--transform=s,^\\.,package,',
      '.',
    ]);
  }
  return file;
}

/**
 * Everything `roots` need: Kalisto packages as packed, and each third-party dependency as the
 * very copy the workspace installed for its dependent (so versions satisfy the ranges exactly as
 * pnpm resolved them).
 */
function closure(options: LocalRegistryOptions): Served[] {
  const served = new Map<string, Served>();
  const visit = (name: string, from: string | undefined, optional: boolean): void => {
    const tarball = options.tarballs.get(name);
    if (tarball !== undefined) {
      const manifest = tarballManifest(tarball);
      const key = `${name}@${manifest.version}`;
      if (served.has(key)) return;
      served.set(key, { manifest, tarball });
      const dir = options.workspace.get(name)?.dir;
      for (const dependency of needed(manifest)) visit(dependency.name, dir, dependency.optional);
      return;
    }
    const dir = from === undefined ? undefined : resolvePackageDir(from, name);
    if (dir === undefined) {
      if (optional) return;
      throw new Error(`${name} is needed but was not installed in the workspace (from ${from})`);
    }
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
    const key = `${manifest.name}@${manifest.version}`;
    if (served.has(key)) return;
    served.set(key, { manifest, tarball: packDirectory(dir, options.dir, manifest) });
    for (const dependency of needed(manifest)) visit(dependency.name, dir, dependency.optional);
  };
  for (const root of options.roots) visit(root, undefined, false);
  return [...served.values()];
}

/** The packed packages `roots` need (their packed dependencies and required peers), `roots` included. */
export function packedClosure(tarballs: ReadonlyMap<string, string>, roots: readonly string[]): string[] {
  const found = new Set<string>();
  const visit = (name: string): void => {
    const tarball = tarballs.get(name);
    if (tarball === undefined || found.has(name)) return;
    found.add(name);
    for (const dependency of needed(tarballManifest(tarball)))
      if (!dependency.optional) visit(dependency.name);
  };
  for (const root of roots) visit(root);
  return [...found];
}

/** The registry's document for one package name: every version served, with its tarball's hashes. */
function packument(name: string, versions: readonly Served[], url: string): object {
  const entries = versions.map(({ manifest, tarball }) => {
    const bytes = readFileSync(tarball);
    const dist = {
      tarball: `${url}/-/${encodeURIComponent(tarball.split('/').pop() ?? '')}`,
      shasum: createHash('sha1').update(bytes).digest('hex'),
      integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
    };
    return [manifest.version, { ...manifest, _id: `${name}@${manifest.version}`, dist }] as const;
  });
  const latest = entries.at(-1)?.[0];
  return { name, versions: Object.fromEntries(entries), 'dist-tags': { latest } };
}

/**
 * Starts a registry on 127.0.0.1 serving `roots` and their closure, so that `npm install` resolves,
 * downloads and verifies as against npmjs.org — without the network.
 */
export async function startLocalRegistry(options: LocalRegistryOptions): Promise<LocalRegistry> {
  const served = closure(options);
  const byName = new Map<string, Served[]>();
  const files = new Map<string, string>();
  for (const entry of served) {
    byName.set(entry.manifest.name, [...(byName.get(entry.manifest.name) ?? []), entry]);
    files.set(entry.tarball.split('/').pop() ?? '', entry.tarball);
  }
  const server = createServer((request, response) => {
    const path = decodeURIComponent((request.url ?? '/').split('?')[0] ?? '/');
    const file = path.startsWith('/-/') ? files.get(path.slice(3)) : undefined;
    const name = path.slice(1);
    const versions = options.unpublished?.(name) ? undefined : byName.get(name);
    if (file !== undefined) {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      response.end(readFileSync(file));
    } else if (versions !== undefined) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(packument(name, versions, url)));
    } else {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end('{"error":"not found"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    packages: served.map(({ manifest }) => `${manifest.name}@${manifest.version}`),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
