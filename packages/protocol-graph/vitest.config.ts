import { kalistoProject } from '@kalisto/vitest-config';

export default kalistoProject('protocol-graph');
