import { kalistoProject } from '@kalisto/vitest-config';

export default kalistoProject('interop-servers');
