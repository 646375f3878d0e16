import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
    // Two cores here: integration suites start servers; keep parallelism modest.
    maxWorkers: 2,
  },
});
