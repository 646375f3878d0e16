import { packageConfig } from '@kalisto/tsup-config';

export default packageConfig();
