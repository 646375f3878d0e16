import { packageConfig } from '@kalisto/tsup-config';

export default packageConfig({ entry: ['src/index.ts', 'src/cli.ts'] });
