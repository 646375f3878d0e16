import { kalistoProject } from '@kalisto/vitest-config';

// Each end-to-end test starts the CLI as a child process (from source, through tsx) several times.
const project = kalistoProject('cli', { testTimeout: 120_000 });
// OpenTelemetry's `module` builds (reached through @kalisto/relay) use extensionless imports meant
// for bundlers: resolve as Node does, without the shared config's `module` condition.
const conditions = ['dev-source', 'import', 'node', 'default'];
export default {
  ...project,
  resolve: { ...project.resolve, conditions },
  ssr: { ...project.ssr, resolve: { ...project.ssr?.resolve, conditions } },
};
