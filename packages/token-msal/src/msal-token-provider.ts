import type { AuthenticationResult, PublicClientApplication } from '@azure/msal-node';
import {
  type AccessToken,
  ConfigError,
  type OAuthFlow,
  type Secret,
  TokenError,
  type TokenProviderDefinition,
} from '@kalisto/core';
import {
  type CredentialExpiryWatch,
  type CredentialMaterial,
  credentialMaterial,
  defineTokenProvider,
  identityPlatformAgent,
  type TokenProvider,
  type TokenProviderContext,
  watchCredentialExpiry,
} from '@kalisto/core/plugin';

import { PROVIDER_NAME, toTokenError } from './errors.js';
import { clientCredentialsFlow } from './flows/client-credentials.js';
import { delegatedFlow, type SignInContext } from './flows/delegated.js';
import { deviceCodeSignIn } from './flows/device-code.js';
import type { Flow } from './flows/flow.js';
import { interactiveSignIn } from './flows/interactive.js';
import { managedIdentityFlow } from './flows/managed-identity.js';
import type { MsalAppSettings } from './msal-app.js';
import { type TrackedCall, UndiciNetworkClient } from './network-client.js';
import type { DeviceCodeInfo, MsalTokenProviderOptions, SignInOptions } from './options.js';

/** The flows (`o365.oauth.flow`) this provider runs. */
export const MSAL_FLOWS: readonly OAuthFlow[] = [
  'client_credentials',
  'password',
  'device_code',
  'refresh_token',
  'managed_identity',
];

/**
 * The `msal` token provider: Microsoft's identity platform through `@azure/msal-node`, for the
 * flow in `o365.oauth.flow`. Register it with `createKalisto({ tokenProviders: [msalTokenProvider()] })`.
 */
export function msalTokenProvider(options: MsalTokenProviderOptions = {}): TokenProviderDefinition {
  return defineTokenProvider({
    name: PROVIDER_NAME,
    flows: MSAL_FLOWS,
    create: (context: TokenProviderContext) => createMsalTokenProvider(context, options),
  });
}

/** Builds the provider for one session; {@link msalTokenProvider} is the usual way in. */
export function createMsalTokenProvider(
  context: TokenProviderContext,
  options: MsalTokenProviderOptions = {},
): TokenProvider {
  const { config, logger } = context;
  const agent = identityPlatformAgent(config, options.noProxy);
  const networkClient = new UndiciNetworkClient({
    agent,
    timeoutMs: config.oauth.timeoutMs,
    onRequest: options.onRequest,
  });
  const settings: MsalAppSettings = { oauth: config.oauth, networkClient, logger };
  let flow: Flow;
  let expiry: CredentialExpiryWatch;
  try {
    expiry = watchCredentialExpiry(context, { provider: PROVIDER_NAME });
    try {
      flow = createFlow(config.oauth.flow, settings, context, options, expiry);
    } catch (error) {
      expiry.close();
      throw error;
    }
  } catch (error) {
    void agent.close();
    throw error;
  }
  return {
    name: PROVIDER_NAME,
    async getToken(request) {
      request.signal?.throwIfAborted();
      expiry.checkConfigured();
      const call: TrackedCall = { signal: request.signal };
      try {
        const result = await untilAborted(
          networkClient.track(call, () => flow.acquire(request, call)),
          request.signal,
        );
        return toAccessToken(result);
      } catch (error) {
        if (request.signal?.aborted) throw request.signal.reason;
        throw toTokenError(error, call.failure);
      }
    },
    // The agent's close() is idempotent (and defineTokenProvider makes this one so too).
    close: () => {
      expiry.close();
      return agent.close();
    },
  };
}

function createFlow(
  flow: OAuthFlow,
  settings: MsalAppSettings,
  context: TokenProviderContext,
  options: MsalTokenProviderOptions,
  expiry: CredentialExpiryWatch,
): Flow {
  const extra = providerCredential(flow, options);
  for (const [label, value] of extra) context.bindCredential?.(label, value);
  const delegated = {
    settings,
    cache: context.cache,
    cacheTtlMs: options.cacheTtlMs,
    credential: credentialMaterial(settings.oauth, extra),
    expiry,
  };
  if (options.signIn !== undefined)
    return explicitSignInFlow(flow, delegated, settings, options, options.signIn);
  switch (flow) {
    case 'client_credentials':
      return clientCredentialsFlow(settings);
    case 'managed_identity':
      return managedIdentityFlow(settings, options.managedIdentity);
    case 'password':
      return delegatedFlow({
        ...delegated,
        client: 'auto',
        signIn: (c) => passwordSignIn(c, settings),
        signInWhenRefused: true,
      });
    case 'device_code': {
      const onDeviceCode = options.onDeviceCode ?? logDeviceCode(settings);
      return delegatedFlow({
        ...delegated,
        client: 'public',
        signInWhenRefused: true,
        signIn: (c) =>
          deviceCodeSignIn(c.app as PublicClientApplication, {
            scopes: c.scopes,
            correlationId: c.correlationId,
            onDeviceCode,
            signal: c.signal,
            timeoutMs: options.deviceCodeTimeoutMs,
          }),
      });
    }
    case 'refresh_token': {
      const imported = options.refreshToken;
      return delegatedFlow({
        ...delegated,
        client: 'auto',
        signInWhenRefused: false,
        signIn: (c) => importedRefreshTokenSignIn(c, imported === undefined ? undefined : reveal(imported)),
      });
    }
    default:
      throw new ConfigError([
        { property: 'o365.oauth.flow', value: String(flow), expected: `one of ${MSAL_FLOWS.join(', ')}` },
      ]);
  }
}

const DELEGATED_FLOWS: readonly OAuthFlow[] = ['password', 'device_code', 'refresh_token'];
const DEFAULT_BROWSER_TIMEOUT_MS = 5 * 60_000;

/** An explicit sign-in (option `signIn`): a public client that writes the user's account to the same cache entry the delegated flows read. */
function explicitSignInFlow(
  flow: OAuthFlow,
  delegated: Omit<Parameters<typeof delegatedFlow>[0], 'client' | 'signIn' | 'signInWhenRefused'>,
  settings: MsalAppSettings,
  options: MsalTokenProviderOptions,
  signIn: SignInOptions,
): Flow {
  if (!DELEGATED_FLOWS.includes(flow)) {
    throw new ConfigError([
      {
        property: 'o365.oauth.flow',
        value: String(flow),
        expected: `a delegated flow (${DELEGATED_FLOWS.join(', ')}) to sign a user in; ${flow} has no user`,
      },
    ]);
  }
  const { openBrowser } = signIn;
  if (signIn.method === 'browser' && openBrowser === undefined) {
    throw new TypeError('msalTokenProvider: signIn.openBrowser is required for method "browser"');
  }
  const onDeviceCode = options.onDeviceCode ?? logDeviceCode(settings);
  return delegatedFlow({
    ...delegated,
    client: 'public',
    signInWhenRefused: true,
    signInFirst: signIn.always === true,
    signIn: (c) =>
      signIn.method === 'browser' && openBrowser !== undefined
        ? interactiveSignIn(c.app as PublicClientApplication, {
            scopes: c.scopes,
            correlationId: c.correlationId,
            openBrowser,
            loginHint: c.user,
            signal: c.signal,
            timeoutMs: signIn.timeoutMs ?? DEFAULT_BROWSER_TIMEOUT_MS,
          })
        : deviceCodeSignIn(c.app as PublicClientApplication, {
            scopes: c.scopes,
            correlationId: c.correlationId,
            onDeviceCode,
            signal: c.signal,
            timeoutMs: options.deviceCodeTimeoutMs,
          }),
  });
}

/**
 * What this provider presents beyond the configuration: the imported refresh token, the managed
 * identity it asks for. Cached tokens (and the persisted MSAL cache) are bound to it.
 */
function providerCredential(flow: OAuthFlow, options: MsalTokenProviderOptions): CredentialMaterial {
  if (flow === 'refresh_token' && options.refreshToken !== undefined) {
    return [['refreshToken', options.refreshToken]];
  }
  if (flow === 'managed_identity')
    return [['managedIdentity', JSON.stringify(options.managedIdentity ?? {})]];
  return [];
}

/**
 * The resource owner password grant (ROPC). Microsoft marks it deprecated and it cannot do
 * multi-factor authentication (AADSTS50076): prefer device code or client credentials.
 */
function passwordSignIn(
  context: SignInContext,
  settings: MsalAppSettings,
): Promise<AuthenticationResult | null> {
  const password = settings.oauth.password;
  if (context.user === undefined || password === undefined) {
    throw new ConfigError([
      ...(context.user === undefined
        ? [{ property: 'o365.user', expected: 'the user name for the password flow' }]
        : []),
      ...(password === undefined
        ? [{ property: 'o365.password', expected: 'the password for the password flow' }]
        : []),
    ]);
  }
  return context.app.acquireTokenByUsernamePassword({
    scopes: context.scopes,
    username: context.user,
    password: password.reveal(),
    correlationId: context.correlationId,
  });
}

/** The first redemption of a refresh token from outside (option `refreshToken`); MSAL caches the result. */
function importedRefreshTokenSignIn(
  context: SignInContext,
  refreshToken: string | undefined,
): Promise<AuthenticationResult | null> {
  if (refreshToken === undefined) {
    throw new TokenError(
      `[token:${PROVIDER_NAME}] No refresh token for ${context.user ?? 'the user'} in the token cache: sign in first.`,
      {
        code: 'TOKEN_SIGN_IN_REQUIRED',
        hint: 'Sign in once with the device code flow (o365.oauth.flow=device_code) using the same persistent cache backend, or pass the refreshToken option.',
        provider: PROVIDER_NAME,
      },
    );
  }
  return context.app.acquireTokenByRefreshToken({
    scopes: context.scopes,
    refreshToken,
    correlationId: context.correlationId,
    forceCache: true,
  });
}

function logDeviceCode(settings: MsalAppSettings): (info: DeviceCodeInfo) => void {
  return (info) =>
    settings.logger.warn(
      { provider: PROVIDER_NAME, verificationUri: info.verificationUri, userCode: info.userCode },
      info.message,
    );
}

function reveal(value: string | Secret): string {
  return typeof value === 'string' ? value : value.reveal();
}

function toAccessToken(result: AuthenticationResult | null): AccessToken {
  if (result === null || result.accessToken === '' || result.expiresOn === null) {
    throw new TokenError(`[token:${PROVIDER_NAME}] The identity platform answered without an access token.`, {
      code: 'TOKEN_RESPONSE_INVALID',
      hint: 'Check that the token URL points at an OAuth2 token endpoint.',
      provider: PROVIDER_NAME,
    });
  }
  const account = result.account?.username;
  return {
    accessToken: result.accessToken,
    expiresAt: result.expiresOn.getTime(),
    scopes: result.scopes,
    ...(account ? { account } : {}),
  };
}

/** Settles with `promise`, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
