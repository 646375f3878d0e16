import { defineProject } from 'vitest/config';

// Tests run from source: workspace packages resolve through their `dev-source` export condition;
// everything else as Node resolves it (no bundlers' `module` condition: OpenTelemetry's `module`
// builds use extensionless imports Node cannot load).
const conditions = ['dev-source', 'import', 'node', 'default'];

/** The vitest project every package and app uses; `name` labels its tests in the root run. */
export function kalistoProject(name, test = {}) {
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['dev-source'] } },
    test: {
      name,
      environment: 'node',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 30_000,
      hookTimeout: 60_000,
      ...test,
    },
  });
}
