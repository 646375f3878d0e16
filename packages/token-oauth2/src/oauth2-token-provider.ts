import {
  type AccessToken,
  ConfigError,
  isKalistoError,
  type OAuthFlow,
  type Secret,
  TokenError,
  type TokenProviderDefinition,
} from '@kalisto/core';
import {
  type CredentialMaterial,
  createCredentialVerifier,
  credentialMaterial,
  defineTokenProvider,
  identityPlatformAgent,
  refreshTokenExpiresAt,
  type TokenProvider,
  type TokenProviderContext,
  type TokenRequest,
  watchCredentialExpiry,
} from '@kalisto/core/plugin';

import type { OAuth2TokenProviderOptions } from './options.js';
import {
  DEFAULT_REFRESH_TOKEN_TTL_MS,
  type RefreshTokenStore,
  refreshTokenKey,
  refreshTokenStore,
} from './refresh-token-store.js';
import { PROVIDER_NAME, requestToken, type TokenEndpointOptions } from './token-endpoint.js';
import type { TokenResponse } from './token-response.js';

/** The flows (`o365.oauth.flow`) this provider runs. */
export const OAUTH2_FLOWS: readonly OAuthFlow[] = ['client_credentials', 'password', 'refresh_token'];

/**
 * The `oauth2` token provider: a plain POST to the token endpoint `o365.oauth.url` (`%s` = tenant),
 * like the Java library; works with any RFC 6749 server. Register it with
 * `createKalisto({ tokenProviders: [oauth2TokenProvider()] })` and set `o365.oauth.provider=oauth2`.
 */
export function oauth2TokenProvider(options: OAuth2TokenProviderOptions = {}): TokenProviderDefinition {
  return defineTokenProvider({
    name: PROVIDER_NAME,
    flows: OAUTH2_FLOWS,
    create: (context: TokenProviderContext) => createOAuth2TokenProvider(context, options),
  });
}

/** Builds the provider for one session; {@link oauth2TokenProvider} is the usual way in. */
export function createOAuth2TokenProvider(
  context: TokenProviderContext,
  options: OAuth2TokenProviderOptions = {},
): TokenProvider {
  const { config, cache, logger } = context;
  const { oauth } = config;
  if (!OAUTH2_FLOWS.includes(oauth.flow)) {
    throw new ConfigError([
      { property: 'o365.oauth.flow', value: oauth.flow, expected: `one of ${OAUTH2_FLOWS.join(', ')}` },
    ]);
  }
  if (oauth.flow === 'client_credentials' && oauth.clientSecret === undefined) {
    throw new ConfigError([
      { property: 'o365.oauth.clientSecret', expected: 'the client secret for the client_credentials flow' },
    ]);
  }

  const agent = identityPlatformAgent(config, options.noProxy);
  const endpoint: TokenEndpointOptions = {
    url: oauth.tokenUrl,
    clientId: oauth.clientId,
    clientSecret: oauth.clientSecret?.reveal(),
    clientAuth: options.clientAuth ?? 'body',
    agent,
    timeoutMs: oauth.timeoutMs,
    onRequest: options.onRequest,
  };
  // An imported refresh token is this session's credential too: what it leads to is bound to it.
  const extra: CredentialMaterial =
    oauth.flow === 'refresh_token' && options.refreshToken !== undefined
      ? [['refreshToken', options.refreshToken]]
      : [];
  for (const [label, value] of extra) context.bindCredential?.(label, value);
  const verifier = createCredentialVerifier(credentialMaterial(oauth, extra));
  // This provider sends the client secret, never a certificate.
  const expiry = watchCredentialExpiry(context, { provider: PROVIDER_NAME, certificates: false });
  const refreshTokenOf = (user: string | undefined) => `refresh token of ${user ?? 'the user'}`;
  const stores = new Map<string, RefreshTokenStore>();
  const storeFor = (user: string | undefined): RefreshTokenStore => {
    const id = user?.toLowerCase() ?? '';
    let store = stores.get(id);
    if (store === undefined) {
      store = refreshTokenStore({
        backend: cache,
        key: refreshTokenKey({ tokenUrl: oauth.tokenUrl, clientId: oauth.clientId, user }),
        ttlMs: options.refreshTokenTtlMs ?? DEFAULT_REFRESH_TOKEN_TTL_MS,
        logger,
        verifier,
      });
      stores.set(id, store);
    }
    return store;
  };

  /** Runs a delegated grant and keeps the refresh token it returns (rotated or new), tracking its age. */
  const delegated = async (
    request: TokenRequest,
    grant: Record<string, string>,
    store: RefreshTokenStore,
    user: string | undefined,
  ) => {
    const token = await requestToken(endpoint, { grant, scopes: request.scopes, signal: request.signal });
    if (token.refreshToken !== undefined) {
      await store.set(token.refreshToken);
      const issuedAt = store.issuedAt();
      if (issuedAt !== undefined)
        expiry.track({
          kind: 'refresh_token',
          subject: refreshTokenOf(user),
          expiresAt: refreshTokenExpiresAt(issuedAt),
        });
    }
    return token;
  };

  const grants: Record<string, (request: TokenRequest) => Promise<TokenResponse>> = {
    client_credentials: (request) =>
      requestToken(endpoint, {
        grant: { grant_type: 'client_credentials' },
        scopes: request.scopes,
        signal: request.signal,
      }),

    password: (request) => {
      const user = request.user ?? oauth.user;
      if (user === undefined || oauth.password === undefined) {
        throw new ConfigError([
          ...(user === undefined
            ? [{ property: 'o365.user', expected: 'the user name for the password flow' }]
            : []),
          ...(oauth.password === undefined
            ? [{ property: 'o365.password', expected: 'the password for the password flow' }]
            : []),
        ]);
      }
      const grant = { grant_type: 'password', username: user, password: oauth.password.reveal() };
      return delegated(request, grant, storeFor(user), user);
    },

    refresh_token: async (request) => {
      const user = request.user ?? oauth.user;
      const store = storeFor(user);
      const refreshToken = (await store.get()) ?? reveal(options.refreshToken);
      if (refreshToken === undefined) {
        throw new TokenError(
          `[token:${PROVIDER_NAME}] No refresh token for ${user ?? 'the user'}: sign in first.`,
          {
            code: 'TOKEN_SIGN_IN_REQUIRED',
            hint: 'Pass the refreshToken option (a refresh token obtained with offline_access, e.g. by another tool). Refresh tokens a password sign-in stored are bound to that password and serve only sessions configured with it.',
            provider: PROVIDER_NAME,
          },
        );
      }
      // Every call here redeems the refresh token, which renews it: one idle for weeks (the token
      // manager served cached access tokens meanwhile) is renewed by the next request that gets here.
      const issuedAt = store.issuedAt();
      try {
        return await delegated(
          request,
          { grant_type: 'refresh_token', refresh_token: refreshToken },
          store,
          user,
        );
      } catch (error) {
        // A refused refresh token never works again: forget it so that it is not sent over and over.
        if (isKalistoError(error) && (error as TokenError).oauthError === 'invalid_grant') {
          expiry.forget(refreshTokenOf(user));
          await store.delete();
        } else if (issuedAt !== undefined) {
          // Not renewed this time (the platform unreachable): say how long the old one has left.
          expiry.track({
            kind: 'refresh_token',
            subject: refreshTokenOf(user),
            expiresAt: refreshTokenExpiresAt(issuedAt),
          });
        }
        throw error;
      }
    },
  };
  // Checked above: the flow is one of these.
  const grant = grants[oauth.flow] as (request: TokenRequest) => Promise<TokenResponse>;

  return {
    name: PROVIDER_NAME,
    async getToken(request): Promise<AccessToken> {
      request.signal?.throwIfAborted();
      expiry.checkConfigured();
      const token = await grant(request);
      const account = request.user ?? oauth.user;
      return {
        accessToken: token.accessToken,
        expiresAt: token.expiresAt,
        scopes: token.scopes,
        ...(oauth.flow !== 'client_credentials' && account !== undefined ? { account } : {}),
      };
    },
    // The agent's close() is idempotent (and defineTokenProvider makes this one so too).
    close: () => {
      expiry.close();
      return agent.close();
    },
  };
}

function reveal(value: string | Secret | undefined): string | undefined {
  return value === undefined || typeof value === 'string' ? value : value.reveal();
}
