import { sandboxConformanceSuites } from '@kalisto/test-support/token-provider';
import { oauth2TokenProvider } from '../src/index.js';
import { publicAppProperties, recordingLogger, sandboxConfig } from './support.js';

// The client secret goes in the request body (the provider's default clientAuth).
sandboxConformanceSuites({
  name: 'oauth2',
  sandbox: { mail: false },
  publicApp: publicAppProperties,
  create: (sandbox, overrides) =>
    oauth2TokenProvider({ noProxy: '' }).create({
      config: sandboxConfig(sandbox, overrides),
      cache: undefined,
      logger: recordingLogger(),
    }),
});
