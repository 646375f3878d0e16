// The public surface, pinned: a name added to or dropped from `@kalisto/core` or
// `@kalisto/core/plugin` fails here until the snapshot is updated on purpose (and the README with it).
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const compiled = new Map<string, string[]>();

/** The type-only names an entry exports, read by the compiler (values are checked at run time). */
function typeOnlyExports(entry: string): string[] {
  const known = compiled.get(entry);
  if (known !== undefined) return known;
  const file = fileURLToPath(new URL(entry, import.meta.url));
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const module = source && checker.getSymbolAtLocation(source);
  if (module === undefined) throw new Error(`${entry} did not compile`);
  const names = checker
    .getExportsOfModule(module)
    .filter((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      return (target.flags & ts.SymbolFlags.Value) === 0;
    })
    .map((symbol) => symbol.name)
    .sort();
  compiled.set(entry, names);
  return names;
}

describe('@kalisto/core, the application API', () => {
  it('exports these values', async () => {
    expect(Object.keys(await import('@kalisto/core')).sort()).toMatchInlineSnapshot(`
      [
        "AuthenticationError",
        "CacheError",
        "ConfigError",
        "ConnectionError",
        "KalistoError",
        "MAIL_PROTOCOLS",
        "Secret",
        "TokenError",
        "auditTokenClaims",
        "consoleLogger",
        "createKalisto",
        "decodeTokenClaims",
        "describeConfig",
        "encodeXor",
        "formatConfig",
        "isKalistoError",
        "isSecretProperty",
        "parseProperties",
        "resolveConfig",
        "stringifyProperties",
      ]
    `);
  });

  it('exports these types', () => {
    expect(typeOnlyExports('./index.ts')).toMatchInlineSnapshot(`
      [
        "AccessToken",
        "AuditTokenClaimsOptions",
        "CacheBackend",
        "CacheLock",
        "ClaimsFinding",
        "ClaimsFindingCode",
        "ClaimsProtocol",
        "Clock",
        "CloudName",
        "ConfigInput",
        "ConfigIssue",
        "ConfigRow",
        "ConfigSource",
        "ConfigWarning",
        "ConsoleLoggerOptions",
        "CreateKalistoOptions",
        "Kalisto",
        "KalistoConfigOptions",
        "KalistoSession",
        "KalistoSpan",
        "KalistoTelemetry",
        "LogLevel",
        "Logger",
        "MailProtocol",
        "MeterProvider",
        "OAuthFlow",
        "OAuthSettings",
        "PropertyMap",
        "PropertyValue",
        "ProtocolClient",
        "ProtocolClients",
        "ProtocolName",
        "ProtocolOptions",
        "ProtocolProvider",
        "ProtocolRegistry",
        "ProtocolSettings",
        "ProtocolType",
        "Registry",
        "ResolveConfigOptions",
        "ResolvedConfig",
        "SecretDecoder",
        "SessionTokenOptions",
        "StoreClient",
        "StoreClients",
        "TelemetryOptions",
        "TokenClaimsSummary",
        "TokenManager",
        "TokenManagerRequest",
        "TokenProviderDefinition",
        "TracerProvider",
        "TransportClient",
        "TransportClients",
      ]
    `);
  });
});

describe('@kalisto/core/plugin, for plugin authors', () => {
  it('exports these values', async () => {
    expect(Object.keys(await import('@kalisto/core/plugin')).sort()).toMatchInlineSnapshot(`
      [
        "CACHE_KEY_ENV",
        "CONNECT_RESET_RETRY",
        "INCURABLE_FINDINGS",
        "INSTRUMENTS",
        "RETRYABLE_REFUSAL_CODES",
        "SPANS",
        "abortableSleep",
        "backoffDelay",
        "classifyMailError",
        "classifyTokenError",
        "configuredCredentialExpiries",
        "createCredentialVerifier",
        "createHttpAgent",
        "createRedactor",
        "createTelemetry",
        "createTokenManager",
        "createValueSealer",
        "credentialExpiryFinding",
        "credentialMaterial",
        "defineCacheBackend",
        "defineProtocolProvider",
        "defineTokenProvider",
        "encodeSaslErrorChallenge",
        "errorType",
        "identityPlatformAgent",
        "isConnectionReset",
        "isCurableRefusal",
        "isPlainTextReply",
        "isSafeAttribute",
        "isTransientError",
        "loginWithTokenRetry",
        "noopTelemetry",
        "oauthBearerInitialResponse",
        "parseSaslErrorChallenge",
        "plainPortHint",
        "refreshTokenExpiresAt",
        "refreshTokenNeedsRenewal",
        "requireMailUser",
        "resolveReference",
        "retryConnectReset",
        "saslAuthCommand",
        "saslErrorAcknowledgement",
        "scrubTokenLike",
        "scrubbedError",
        "silentLogger",
        "suggest",
        "systemClock",
        "telemetryOf",
        "toCacheJson",
        "tokenCacheKey",
        "trustedSecureContext",
        "watchCredentialExpiry",
        "withRedaction",
        "wrapPluginError",
        "xoauth2InitialResponse",
      ]
    `);
  });

  it('exports these types', () => {
    expect(typeOnlyExports('./plugin.ts')).toMatchInlineSnapshot(`
      [
        "AuthenticationErrorOptions",
        "CacheBackendDefinition",
        "CacheEncryptionKey",
        "CacheOperation",
        "CacheResult",
        "ConfigErrorOptions",
        "ConnectionErrorOptions",
        "CredentialExpiry",
        "CredentialExpiryFinding",
        "CredentialExpiryReading",
        "CredentialExpiryWatch",
        "CredentialExpiryWatchOptions",
        "CredentialKind",
        "CredentialMaterial",
        "CredentialVerifier",
        "CredentialVerifierOptions",
        "DefinedCacheBackend",
        "HttpAgent",
        "HttpAgentOptions",
        "HttpRequest",
        "HttpResponse",
        "InstrumentKind",
        "InstrumentSpec",
        "KalistoErrorOptions",
        "MailErrorInput",
        "OAuthBearerCredentials",
        "PluginFailure",
        "PluginKind",
        "ProtocolContext",
        "ProtocolProviderPlugin",
        "Redactor",
        "ReferenceResult",
        "RetryConnectResetOptions",
        "SaslAuthExchange",
        "SaslErrorChallenge",
        "SaslMechanism",
        "SaslProtocol",
        "SpanName",
        "SpanSpec",
        "TelemetryAttributeValue",
        "TelemetryAttributes",
        "TelemetryOutcome",
        "TokenCacheKeyParts",
        "TokenErrorInput",
        "TokenErrorOptions",
        "TokenManagerOptions",
        "TokenProvider",
        "TokenProviderContext",
        "TokenProviderImplementation",
        "TokenProviderPlugin",
        "TokenRequest",
        "TokenSource",
        "TrustedSecureContextOptions",
        "ValueSealer",
        "ValueSealerOptions",
        "VerifierRecord",
        "XOAuth2Credentials",
      ]
    `);
  });

  it('shares no name with @kalisto/core: each name has one home', async () => {
    const root = new Set([...Object.keys(await import('@kalisto/core')), ...typeOnlyExports('./index.ts')]);
    const plugin = [...Object.keys(await import('@kalisto/core/plugin')), ...typeOnlyExports('./plugin.ts')];
    expect(plugin.filter((name) => root.has(name))).toEqual([]);
  });
});
