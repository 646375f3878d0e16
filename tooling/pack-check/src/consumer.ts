import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type PublishablePackage, tarballManifest } from './packing.js';

/**
 * Installs packed Kalisto packages into `dir/node_modules` the way a package manager lays them out,
 * without the network: each tarball is unpacked as it would be from the registry, and each
 * third-party dependency is linked to the very copy the workspace installed (same version), so
 * what is tested is exactly the shipped files, manifests and types.
 */
export function installTarballs(
  dir: string,
  tarballs: ReadonlyMap<string, string>,
  workspace: ReadonlyMap<string, PublishablePackage>,
): void {
  const modules = join(dir, 'node_modules');
  for (const [name, tarball] of tarballs) {
    const target = join(modules, name);
    mkdirSync(target, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
  }
  for (const [name, tarball] of tarballs) {
    const manifest = tarballManifest(tarball);
    const from = workspace.get(name)?.dir;
    if (from === undefined) throw new Error(`${name} is not a workspace package`);
    const wanted = { ...manifest.dependencies, ...manifest.peerDependencies };
    for (const dependency of Object.keys(wanted)) {
      if (dependency.startsWith('@kalisto/')) {
        if (!tarballs.has(dependency) && manifest.peerDependenciesMeta?.[dependency]?.optional !== true) {
          throw new Error(`${name} needs ${dependency}: pack it too`);
        }
        continue;
      }
      const source = join(from, 'node_modules', dependency);
      if (!existsSync(source)) {
        if (manifest.peerDependenciesMeta?.[dependency]?.optional === true) continue;
        throw new Error(`${name} depends on ${dependency}, which the workspace did not install for it`);
      }
      linkModule(modules, dependency, realpathSync(source));
    }
  }
}

/** Links `node_modules/<name>` to `source` unless something is there already. */
export function linkModule(modules: string, name: string, source: string): void {
  const link = join(modules, name);
  if (existsSync(link)) return;
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(source, link, 'dir');
}
