/**
 * The body of one token child process of the restart tests: reads what {@link tokenChildEnv} wrote,
 * opens the shared encrypted file cache, asks the provider for one token and reports the outcome as
 * JSON lines on stdout (never the token itself). Plain Node, no test runner: the child imports it
 * through `@kalisto/test-support/token-child`.
 */
import {
  type CacheBackend,
  isKalistoError,
  resolveConfig,
  type TokenProviderDefinition,
} from '@kalisto/core';

const SPEC = 'KALISTO_TEST_TOKEN_CHILD';

/** What the parent tells one token child. */
export interface TokenChildSpec {
  /** The property map the child resolves. */
  properties: Record<string, string>;
  /** The shared file cache: its path and encryption key. */
  cache: { path: string; encryptionKey: string };
  /** Ask with `forceRefresh` (skips the provider's own cache). */
  forceRefresh?: boolean;
  /** A refresh token to hand to the provider (its `refreshToken` option). */
  refreshToken?: string;
}

/** The environment that hands `spec` to a token child. */
export function tokenChildEnv(spec: TokenChildSpec): Record<string, string> {
  return { [SPEC]: JSON.stringify(spec) };
}

/** What the child's provider factory gets. */
export interface TokenChild {
  /** Writes one JSON event line for the parent. */
  report(event: Record<string, unknown>): void;
  /** The refresh token the parent passed, if any. */
  refreshToken: string | undefined;
}

/** Options of {@link runTokenChild}. */
export interface TokenChildOptions {
  /** `fileCache` of @kalisto/cache-file (passed in: cache-file's own tests depend on this package). */
  fileCache: (options: { path: string; encryptionKey: string }) => CacheBackend;
  /** The provider under test, e.g. `({ report }) => msalTokenProvider({ onDeviceCode: … })`. */
  provider: (child: TokenChild) => TokenProviderDefinition;
}

/** Runs one child: one token request, its outcome reported, everything closed. */
export async function runTokenChild(options: TokenChildOptions): Promise<void> {
  const spec = JSON.parse(process.env[SPEC] ?? '{}') as TokenChildSpec;
  const report = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
  const config = resolveConfig(spec.properties);
  const cache = options.fileCache(spec.cache);
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const provider = options
    .provider({ report, refreshToken: spec.refreshToken })
    .create({ config, cache, logger: silent });
  try {
    const token = await provider.getToken({
      scopes: config.oauth.scopes,
      forceRefresh: spec.forceRefresh === true,
    });
    report({ event: 'token', account: token.account, expiresAt: token.expiresAt });
  } catch (error) {
    report(
      isKalistoError(error)
        ? {
            event: 'error',
            name: error.name,
            code: error.code,
            hint: error.hint,
            message: error.message,
            aadsts: (error as { aadsts?: string }).aadsts,
          }
        : { event: 'error', name: String((error as Error).name), message: String((error as Error).message) },
    );
  } finally {
    await provider.close?.();
    await cache.close?.();
  }
}
