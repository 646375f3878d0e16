import {
  ConfidentialClientApplication,
  type Configuration,
  type ICachePlugin,
  type INetworkModule,
  LogLevel,
  type NodeAuthOptions,
  PublicClientApplication,
} from '@azure/msal-node';
import { ConfigError, type Logger, type OAuthSettings } from '@kalisto/core';
import { offlineAuthority } from './authority.js';

/** What every MSAL application of one provider is built from. */
export interface MsalAppSettings {
  oauth: OAuthSettings;
  networkClient: INetworkModule;
  logger: Logger;
  /** Persists the token cache (delegated flows); absent = MSAL's memory only. */
  cachePlugin?: ICachePlugin | undefined;
}

type ClientCredential = Pick<NodeAuthOptions, 'clientSecret' | 'clientCertificate'>;

/**
 * The confidential client's credential: the certificate when one is configured (a SHA-1
 * thumbprint of 40 hex digits, or a SHA-256 one of 64), else the client secret, else none.
 */
export function clientCredential(oauth: OAuthSettings): ClientCredential | undefined {
  if (oauth.certificate !== undefined) {
    const hex = oauth.certificate.thumbprint.replace(/[^0-9a-f]/gi, '').toUpperCase();
    const privateKey = withoutCertificates(oauth.certificate.privateKey.reveal());
    if (hex.length === 40) return { clientCertificate: { thumbprint: hex, privateKey } };
    if (hex.length === 64) return { clientCertificate: { thumbprintSha256: hex, privateKey } };
    throw new ConfigError([
      {
        property: 'o365.oauth.certificate.thumbprint',
        value: oauth.certificate.thumbprint,
        expected: 'the certificate thumbprint: 40 hex digits (SHA-1) or 64 (SHA-256)',
      },
    ]);
  }
  if (oauth.clientSecret !== undefined) return { clientSecret: oauth.clientSecret.reveal() };
  return undefined;
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\s*/g;

/**
 * The private key alone from a PEM that may carry the certificate too (`openssl pkcs12 -nodes`
 * writes both; core reads the certificate's expiry from it): MSAL's signer wants only the key.
 */
export function withoutCertificates(pem: string): string {
  return pem.includes('-----BEGIN CERTIFICATE-----') ? pem.replace(CERTIFICATE_BLOCK, '').trim() : pem;
}

/** MSAL's configuration: offline authority metadata, our network client and logger, no PII in logs. */
export function msalConfiguration(
  settings: MsalAppSettings,
  credential: ClientCredential = {},
): Configuration {
  const { oauth, logger } = settings;
  return {
    auth: { clientId: oauth.clientId, ...offlineAuthority(oauth.authority), ...credential },
    cache: settings.cachePlugin === undefined ? {} : { cachePlugin: settings.cachePlugin },
    system: {
      networkClient: settings.networkClient,
      loggerOptions: msalLoggerOptions(logger),
    },
  };
}

/** Routes MSAL's warnings and errors to our logger at debug level; MSAL's PII logging stays off. */
export function msalLoggerOptions(logger: Logger): NonNullable<Configuration['system']>['loggerOptions'] {
  return {
    logLevel: LogLevel.Warning,
    piiLoggingEnabled: false,
    loggerCallback(level, message, containsPii) {
      if (!containsPii) logger.debug({ msalLevel: LogLevel[level] }, message);
    },
  };
}

/** A confidential client; throws a ConfigError when no credential is configured. */
export function createConfidentialApp(settings: MsalAppSettings): ConfidentialClientApplication {
  const credential = clientCredential(settings.oauth);
  if (credential === undefined) {
    throw new ConfigError([
      {
        property: 'o365.oauth.clientSecret',
        expected:
          'a client secret or a certificate (o365.oauth.certificate.*) for the client_credentials flow',
      },
    ]);
  }
  return new ConfidentialClientApplication(msalConfiguration(settings, credential));
}

/** A public client ("Allow public client flows" in the app registration). */
export function createPublicApp(settings: MsalAppSettings): PublicClientApplication {
  return new PublicClientApplication(msalConfiguration(settings));
}
