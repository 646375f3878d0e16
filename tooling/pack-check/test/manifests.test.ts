import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishablePackages, withoutDevSource } from '../src/packing.js';

const root = resolve(import.meta.dirname, '../../..');

// pnpm publishes `publishConfig.exports` in place of `exports`: the two maps must say the same
// thing, less the `dev-source` condition that points tests at ./src (which is not shipped).
describe('published exports', () => {
  it.each(publishablePackages(root).map((pkg) => [pkg.name, pkg.manifest] as const))(
    '%s publishes its exports without the dev-source condition',
    (_name, manifest) => {
      expect(manifest.publishConfig?.exports).toEqual(withoutDevSource(manifest.exports));
    },
  );
});
