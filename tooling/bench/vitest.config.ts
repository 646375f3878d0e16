import { kalistoProject } from '@kalisto/vitest-config';

// Only the pure logic of the harness is tested: benchmark numbers depend on the machine.
export default kalistoProject('bench');
