import type { Sandbox } from '@kalisto/sandbox';
import { runTokenProviderSuite } from '@kalisto/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { msalTokenProvider } from '../src/index.js';
import {
  APP_SCOPE,
  IMAP_SCOPE,
  publicAppProperties,
  recordingLogger,
  sandboxConfig,
  startTestSandbox,
} from './support.js';

let sandbox: Sandbox;
const runner = { describe, it, expect };

beforeAll(async () => {
  sandbox = await startTestSandbox({ mail: false });
});
afterAll(async () => {
  await sandbox?.stop();
});

const grants = () => {
  const counts = sandbox.hooks.requestCounts();
  return counts.client_credentials + counts.password + counts.refresh_token + counts.device_code;
};

/** Expires the app's secrets until the next provider is created (then they are valid again). */
let expiredSecrets: (() => void) | undefined;
function expireSecretsOnce(clientId: string): void {
  const app = sandbox.state.findApp(clientId);
  const before = app?.secrets.map((secret) => secret.expiresAt) ?? [];
  sandbox.hooks.expireSecret(clientId);
  expiredSecrets = () => {
    app?.secrets.forEach((secret, i) => {
      secret.expiresAt = before[i];
    });
  };
}

function create(overrides: Record<string, string>) {
  expiredSecrets?.();
  expiredSecrets = undefined;
  return msalTokenProvider({ noProxy: '' }).create({
    config: sandboxConfig(sandbox, overrides),
    cache: undefined,
    logger: recordingLogger(),
  });
}

runTokenProviderSuite(runner, {
  name: 'msal (client credentials)',
  createProvider: () => create({}),
  scopes: [APP_SCOPE],
  // Read when the tests run, once the sandbox exists.
  get secrets() {
    return [sandbox.fixtures.confidentialApp.secret];
  },
  countRequests: grants,
  failNextRequest: (kind) => {
    if (kind === 'transient') sandbox.hooks.injectFault({ status: 503 });
    else expireSecretsOnce(sandbox.fixtures.confidentialApp.clientId);
  },
});

runTokenProviderSuite(runner, {
  name: 'msal (password, public client)',
  createProvider: () =>
    create({
      ...publicAppProperties(sandbox, 'password', sandbox.fixtures.users.adele.upn),
      'o365.password': sandbox.fixtures.users.adele.password,
    }),
  scopes: [IMAP_SCOPE],
  user: 'adele@contoso.example',
  expectedAccount: 'adele@contoso.example',
  get secrets() {
    return [sandbox.fixtures.users.adele.password];
  },
  countRequests: grants,
});
