import type { Sandbox } from '@kalisto/sandbox';
import { runTokenProviderSuite } from '@kalisto/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oauth2TokenProvider } from '../src/index.js';
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
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  await sandbox?.stop();
});

const grants = () => {
  const counts = sandbox.hooks.requestCounts();
  return counts.client_credentials + counts.password + counts.refresh_token;
};

/** Undoes the last injected permanent failure; run when the next provider is created. */
let undoFailure: (() => void) | undefined;
function expireSecretsOnce(clientId: string): void {
  const app = sandbox.state.findApp(clientId);
  const before = app?.secrets.map((secret) => secret.expiresAt) ?? [];
  sandbox.hooks.expireSecret(clientId);
  undoFailure = () => {
    app?.secrets.forEach((secret, i) => {
      secret.expiresAt = before[i];
    });
  };
}

function create(overrides: Record<string, string>) {
  undoFailure?.();
  undoFailure = undefined;
  return oauth2TokenProvider({ noProxy: '' }).create({
    config: sandboxConfig(sandbox, overrides),
    cache: undefined,
    logger: recordingLogger(),
  });
}

runTokenProviderSuite(runner, {
  name: 'oauth2 (client credentials, secret in the body)',
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
  name: 'oauth2 (password, public client)',
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
  failNextRequest: (kind) => {
    if (kind === 'transient') {
      sandbox.hooks.injectFault({ status: 500 });
      return;
    }
    // Conditional Access starts demanding MFA (AADSTS50076) until the next provider is created.
    const user = sandbox.state.findUser(sandbox.fixtures.users.adele.upn);
    if (user === undefined) throw new Error('fixture user missing');
    user.mfaRequired = true;
    undoFailure = () => {
      user.mfaRequired = false;
    };
  },
});
