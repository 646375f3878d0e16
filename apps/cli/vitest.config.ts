import { kalistoProject } from '@kalisto/vitest-config';

// Each end-to-end test starts the CLI as a child process (from source, through tsx) several times.
export default kalistoProject('cli', { testTimeout: 120_000 });
