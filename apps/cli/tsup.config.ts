import { packageConfig } from '@kalisto/tsup-config';

// An executable, not a library: one ESM entry with its shebang, no declarations.
export default packageConfig({ entry: ['src/main.ts'], format: ['esm'], dts: false });
