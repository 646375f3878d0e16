import { sandboxConformanceSuites } from '@kalisto/test-support/token-provider';
import { msalTokenProvider } from '../src/index.js';
import { recordingLogger, sandboxConfig } from './support.js';

sandboxConformanceSuites({
  name: 'msal',
  sandbox: { mail: false },
  create: (sandbox, overrides) =>
    msalTokenProvider({ noProxy: '' }).create({
      config: sandboxConfig(sandbox, overrides),
      cache: undefined,
      logger: recordingLogger(),
    }),
});
