import { kalistoProject } from '@kalisto/vitest-config';

export default kalistoProject('opentelemetry');
