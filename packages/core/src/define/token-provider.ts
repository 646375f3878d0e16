import { ConfigError, TokenError } from '../errors/errors.js';
import { wrapPluginError } from '../errors/plugin-error.js';
import { configRedactor } from '../logging/redactor.js';
import type {
  AccessToken,
  TokenProvider,
  TokenProviderContext,
  TokenProviderDefinition,
} from '../token/types.js';
import { checkMethods, checkName, once } from './checks.js';

/** What a token plugin implements; `defineTokenProvider` adds the name and the error handling. */
export type TokenProviderImplementation = Omit<TokenProvider, 'name'> & { readonly name?: string };

export interface TokenProviderPlugin {
  /** Picked by `o365.oauth.provider`, e.g. `msal`. */
  name: string;
  /** The `o365.oauth.flow` values it supports; any other is a configuration error at session creation. */
  flows?: readonly string[];
  create(context: TokenProviderContext): TokenProviderImplementation;
}

/**
 * Defines a token provider: checks the definition now and the provider at creation (an error naming
 * a missing method), rejects an unsupported `o365.oauth.flow` as a `ConfigError`
 * (`TOKEN_FLOW_UNSUPPORTED`), turns any other failure into a `TokenError` prefixed `[token:<name>]`
 * with the configured secrets scrubbed, checks every token it returns (`TOKEN_INVALID_RESPONSE`), and
 * makes `close()` idempotent.
 */
export function defineTokenProvider(plugin: TokenProviderPlugin): TokenProviderDefinition {
  const { name, flows } = plugin;
  checkName('token', name);
  checkMethods('token', name, 'token provider definition', plugin, ['create']);
  return {
    name,
    ...(flows === undefined ? {} : { flows: [...flows] }),
    create(context) {
      const flow = context.config.oauth.flow;
      if (flows !== undefined && !flows.includes(flow)) {
        throw new ConfigError(
          [
            {
              property: 'o365.oauth.flow',
              value: flow,
              expected: `one of ${flows.join(', ')} (the flows token provider "${name}" supports)`,
            },
          ],
          { code: 'TOKEN_FLOW_UNSUPPORTED' },
        );
      }
      const redactor = configRedactor(context.config);
      const fail = (action: string) => (error: unknown) =>
        wrapPluginError(error, { kind: 'token', name, action, redactor });
      let provider: TokenProviderImplementation;
      try {
        provider = plugin.create(context);
      } catch (error) {
        throw fail('Creating the token provider')(error);
      }
      checkMethods('token', name, 'token provider', provider, ['getToken'], ['close']);
      const { close } = provider;
      return {
        name,
        async getToken(request) {
          let token: AccessToken;
          try {
            token = await provider.getToken(request);
          } catch (error) {
            throw fail('Getting a token')(error);
          }
          return checkToken(name, token);
        },
        ...(close === undefined
          ? {}
          : {
              close: once(async () => {
                try {
                  await close.call(provider);
                } catch (error) {
                  throw fail('Closing the token provider')(error);
                }
              }),
            }),
      };
    },
  };
}

/** A clean copy of a provider's token, or a TokenError saying which field is wrong (never its value). */
function checkToken(provider: string, token: unknown): AccessToken {
  const t = (typeof token === 'object' && token !== null ? token : {}) as Partial<
    Record<keyof AccessToken, unknown>
  >;
  const problem =
    typeof t.accessToken !== 'string' || t.accessToken === ''
      ? 'no accessToken'
      : typeof t.expiresAt !== 'number' || !Number.isFinite(t.expiresAt)
        ? 'no numeric expiresAt (epoch ms)'
        : !Array.isArray(t.scopes) || !t.scopes.every((s) => typeof s === 'string')
          ? 'no scopes array'
          : t.account !== undefined && typeof t.account !== 'string'
            ? 'a non-string account'
            : undefined;
  if (problem !== undefined) {
    throw new TokenError(`[token:${provider}] The provider returned a token with ${problem}.`, {
      code: 'TOKEN_INVALID_RESPONSE',
      provider,
      hint: 'This is a bug in the token provider plugin.',
    });
  }
  return {
    accessToken: t.accessToken as string,
    expiresAt: t.expiresAt as number,
    scopes: [...(t.scopes as string[])],
    ...(t.account === undefined ? {} : { account: t.account as string }),
  };
}
