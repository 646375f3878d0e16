import { kalistoProject } from '@kalisto/vitest-config';

// OpenTelemetry's `module` builds use extensionless imports (for bundlers, not Node): resolve its
// packages as Node does, without the shared config's `module` condition.
const conditions = ['dev-source', 'import', 'node', 'default'];
const project = kalistoProject('relay');
export default {
  ...project,
  resolve: { ...project.resolve, conditions },
  ssr: { ...project.ssr, resolve: { ...project.ssr?.resolve, conditions } },
};
