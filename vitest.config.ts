import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'tooling/bench', 'tooling/interop-servers', 'tooling/pack-check'],
    // Two cores here: integration suites start servers; keep parallelism modest.
    maxWorkers: 2,
  },
});
