import { afterAll, describe, expect, it } from 'vitest';
import {
  connectionRefused,
  expectNoSecretsSeen,
  FIXTURE_SECRETS,
  rejectionOf,
  testConfig,
  thrownBy,
} from '../../test/runtime-fixtures.js';
import { ConfigError, TokenError } from '../errors/errors.js';
import { silentLogger } from '../logging/logger.js';
import type { TokenProviderContext } from '../token/types.js';
import { defineTokenProvider } from './token-provider.js';

afterAll(() => expectNoSecretsSeen());

describe('defineTokenProvider', () => {
  const context = (flow: 'password' | 'device_code' = 'password'): TokenProviderContext => ({
    config: testConfig({ oauth: { flow } }),
    cache: undefined,
    logger: silentLogger,
  });

  it('refuses a flow the provider does not support as a ConfigError on the flow property', () => {
    const definition = defineTokenProvider({
      name: 'oauth2',
      flows: ['client_credentials', 'password'],
      create: () => ({ getToken: async () => ({ accessToken: 'a', expiresAt: 1, scopes: [] }) }),
    });
    const error = thrownBy(() => definition.create(context('device_code')));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('TOKEN_FLOW_UNSUPPORTED');
    expect((error as ConfigError).issues[0]).toMatchObject({
      property: 'o365.oauth.flow',
      value: 'device_code',
    });
    expect(error.message).toContain(
      'one of client_credentials, password (the flows token provider "oauth2" supports)',
    );
  });

  it('wraps failures into prefixed TokenErrors with the configured secrets scrubbed', async () => {
    const provider = defineTokenProvider({
      name: 'msal',
      create: () => ({
        getToken: async () => {
          throw new Error(`request body had ${FIXTURE_SECRETS.clientSecret}`);
        },
      }),
    }).create(context());
    expect(provider.name).toBe('msal');
    const error = await rejectionOf(provider.getToken({ scopes: ['s'] }));
    expect(error).toBeInstanceOf(TokenError);
    expect(error.message).toBe('[token:msal] Getting a token failed: request body had ***');
    expect((error.cause as Error).message).toBe('request body had ***');
    expect(error).toMatchObject({ code: 'TOKEN_PROVIDER_FAILED', provider: 'msal', transient: false });
  });

  it('marks network failures transient and lets its own TokenErrors through unchanged', async () => {
    const own = new TokenError('[token:x] consent', { code: 'TOKEN_CONSENT_REQUIRED' });
    const steps = [connectionRefused(), own];
    const provider = defineTokenProvider({
      name: 'x',
      create: () => ({
        getToken: async () => {
          throw steps.shift();
        },
      }),
    }).create(context());
    expect(await rejectionOf(provider.getToken({ scopes: [] }))).toMatchObject({
      code: 'TOKEN_NETWORK',
      transient: true,
    });
    expect(await rejectionOf(provider.getToken({ scopes: [] }))).toBe(own);
  });

  it('checks every token it returns without echoing it', async () => {
    const provider = defineTokenProvider({
      name: 'sloppy',
      create: () => ({
        getToken: async () => ({ accessToken: `${FIXTURE_SECRETS.tokenPrefix}1`, scopes: [] }) as never,
      }),
    }).create(context());
    const error = await rejectionOf(provider.getToken({ scopes: [] }));
    expect(error).toMatchObject({ code: 'TOKEN_INVALID_RESPONSE' });
    expect(error.message).toBe(
      '[token:sloppy] The provider returned a token with no numeric expiresAt (epoch ms).',
    );
  });

  it('checks the definition and the created provider, naming what is missing', () => {
    expect(thrownBy(() => defineTokenProvider({ name: 'x' } as never)).message).toBe(
      '[token:x] A token provider definition needs a "create" method (it has: none).',
    );
    const definition = defineTokenProvider({ name: 'y', create: () => ({}) as never });
    expect(thrownBy(() => definition.create(context())).message).toBe(
      '[token:y] A token provider needs a "getToken" method (it has: none).',
    );
  });

  it('makes close idempotent', async () => {
    let closes = 0;
    const provider = defineTokenProvider({
      name: 'z',
      create: () => ({
        getToken: async () => ({ accessToken: 'a', expiresAt: 1, scopes: [] }),
        close: async () => void closes++,
      }),
    }).create(context());
    await provider.close?.();
    await provider.close?.();
    expect(closes).toBe(1);
  });
});
