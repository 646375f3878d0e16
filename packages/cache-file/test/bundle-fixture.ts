// Fixture scripts run as real, separate node processes (@kalisto/test-support's startNodeScript).
// Each is bundled once with esbuild (from source, through the dev-source condition), so fifty
// process starts cost node's start-up only.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** Bundles `fixtures/<name>.ts` into `outDir`; returns the script to run. */
export async function bundleFixture(name: string, outDir: string): Promise<string> {
  const outfile = join(outDir, `${name}.mjs`);
  await build({
    entryPoints: [join(fixtures, `${name}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['dev-source'],
    logLevel: 'silent',
  });
  return outfile;
}
