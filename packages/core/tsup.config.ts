import { packageConfig } from '@kalisto/tsup-config';

// Two public entries, `@kalisto/core` and `@kalisto/core/plugin`, sharing chunks.
export default packageConfig({ entry: ['src/index.ts', 'src/plugin.ts'] });
