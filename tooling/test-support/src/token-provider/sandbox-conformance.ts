/**
 * The token provider conformance suite (@kalisto/test-utils) of one of our providers against the
 * sandbox's identity platform: client credentials of the confidential app, and the password grant of
 * the public app, each with the failures the sandbox can inject.
 */
import type { TokenProvider } from '@kalisto/core/plugin';
import { type Sandbox, type SandboxOptions, startSandbox } from '@kalisto/sandbox';
import { runTokenProviderSuite } from '@kalisto/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_SCOPE, IMAP_SCOPE, publicAppProperties } from '../sandbox-config.js';

/** Options of {@link sandboxConformanceSuites}. */
export interface SandboxConformanceOptions {
  /** The provider's name, for the suites' titles. */
  name: string;
  /** How to start the suites' sandbox (started before the tests, stopped after them). */
  sandbox?: SandboxOptions;
  /** A provider for `sandbox` with these property overrides. */
  create: (sandbox: Sandbox, overrides: Record<string, string>) => TokenProvider;
  /** The properties of a delegated flow of the public app. Default test-support's `publicAppProperties`. */
  publicApp?: (sandbox: Sandbox, flow: string, user: string) => Record<string, string>;
}

/** Registers the sandbox's set-up and clean-up and the two suites; call it at the top level of a test file. */
export function sandboxConformanceSuites(options: SandboxConformanceOptions): void {
  let running: Sandbox | undefined;
  beforeAll(async () => {
    running = await startSandbox(options.sandbox);
  });
  afterAll(async () => {
    await running?.stop();
  });
  const sandbox = (): Sandbox => {
    if (running === undefined) throw new Error('the sandbox is used before its beforeAll ran');
    return running;
  };
  const runner = { describe, it, expect };
  const publicApp = options.publicApp ?? publicAppProperties;
  /** Undoes the last injected permanent failure; run when the next provider is created. */
  let undoFailure: (() => void) | undefined;
  const create = (overrides: Record<string, string>) => {
    undoFailure?.();
    undoFailure = undefined;
    return options.create(sandbox(), overrides);
  };
  const grants = () => {
    const counts = sandbox().hooks.requestCounts();
    return counts.client_credentials + counts.password + counts.refresh_token + counts.device_code;
  };

  /** The app's secrets expire until the next provider is created. */
  const expireSecrets = () => {
    const { state, hooks, fixtures } = sandbox();
    const { clientId } = fixtures.confidentialApp;
    const app = state.findApp(clientId);
    const before = app?.secrets.map((secret) => secret.expiresAt) ?? [];
    hooks.expireSecret(clientId);
    undoFailure = () => {
      app?.secrets.forEach((secret, i) => {
        secret.expiresAt = before[i];
      });
    };
  };

  /**
   * adele is signed out everywhere (her refresh tokens revoked) and Conditional Access demands
   * multi-factor authentication (AADSTS50076) until the next provider: no refresh and no new
   * password sign-in can succeed, whichever a provider tries on a forced refresh.
   */
  const signOutAndDemandMfa = () => {
    const { state, hooks, fixtures } = sandbox();
    const user = state.findUser(fixtures.users.adele.upn);
    if (user === undefined) throw new Error('fixture user missing');
    hooks.revokeUser(user.upn);
    user.mfaRequired = true;
    undoFailure = () => {
      user.mfaRequired = false;
    };
  };

  runTokenProviderSuite(runner, {
    name: `${options.name} (client credentials)`,
    createProvider: () => create({}),
    scopes: [APP_SCOPE],
    get secrets() {
      return [sandbox().fixtures.confidentialApp.secret];
    },
    countRequests: grants,
    failNextRequest: (kind) => {
      if (kind === 'transient') sandbox().hooks.injectFault({ status: 503 });
      else expireSecrets();
    },
  });

  runTokenProviderSuite(runner, {
    name: `${options.name} (password, public client)`,
    createProvider: () => {
      const { adele } = sandbox().fixtures.users;
      return create({
        ...publicApp(sandbox(), 'password', adele.upn),
        'o365.password': adele.password,
      });
    },
    scopes: [IMAP_SCOPE],
    user: 'adele@contoso.example',
    expectedAccount: 'adele@contoso.example',
    get secrets() {
      return [sandbox().fixtures.users.adele.password];
    },
    countRequests: grants,
    failNextRequest: (kind) => {
      if (kind === 'transient') sandbox().hooks.injectFault({ status: 500 });
      else signOutAndDemandMfa();
    },
  });
}
