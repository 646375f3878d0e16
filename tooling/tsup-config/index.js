import { defineConfig } from 'tsup';

/**
 * The one build every published package shares: ESM + CJS + declarations, Node 20. A package with
 * several public entries (core's `.` and `./plugin`) gets shared chunks, so each class and each
 * piece of module state exists once however many entries a program imports.
 */
export function packageConfig(overrides = {}) {
  const entry = overrides.entry ?? ['src/index.ts'];
  const entries = Array.isArray(entry) ? entry.length : Object.keys(entry).length;
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: entries > 1,
    treeshake: true,
    ...overrides,
  });
}
