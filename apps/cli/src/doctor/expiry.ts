/**
 * The doctor's credential expiry findings: the certificate (from its PEM), the client secret (from
 * `o365.oauth.clientSecret.expires`) and the refresh token in the cache (90 days after it was
 * issued, unused). A warning within 30 days, a failure once expired, each with the fix.
 */
import { type CacheBackend, type KalistoSession, type ResolvedConfig, TokenError } from '@kalisto/core';
import {
  type CredentialExpiry,
  configuredCredentialExpiries,
  credentialExpiryFinding,
  refreshTokenExpiresAt,
} from '@kalisto/core/plugin';
import type { Check, CheckWarning } from './checks.js';

const TITLES: Record<CredentialExpiry['kind'], string> = {
  certificate: 'Certificate expiry',
  client_secret: 'Client secret expiry',
  refresh_token: 'Refresh token expiry',
};

const DELEGATED_FLOWS = new Set(['password', 'device_code', 'refresh_token']);

export interface ExpiryChecksOptions {
  config: ResolvedConfig;
  session: () => Promise<KalistoSession>;
  now: () => number;
}

/** One finding as the doctor reports it: ok, a warning, or a failure (thrown) with the fix. */
export function expiryResult(expiry: CredentialExpiry, now: number): string | CheckWarning {
  const finding = credentialExpiryFinding(expiry, now);
  if (finding.status === 'ok') return finding.message.replace(/\.$/, '');
  if (finding.status === 'warning') {
    return {
      detail: `${finding.daysLeft} days left`,
      warning: finding.message,
      fix: finding.fix,
      code: 'CREDENTIAL_EXPIRING',
    };
  }
  throw new TokenError(`${finding.message} ${finding.fix}`, {
    code: 'CREDENTIAL_EXPIRED',
    hint: finding.fix,
    provider: expiry.provider,
  });
}

/** A check per credential whose expiry is known: configured ones, and the cached refresh token of a delegated flow. */
export function expiryChecks(options: ExpiryChecksOptions): Check[] {
  const { config, now } = options;
  const { oauth } = config;
  const certificates = oauth.provider !== 'oauth2';
  const known = configuredCredentialExpiries(oauth, { certificates });
  const checks: Check[] = known.map((expiry) => ({
    id: `expiry:${expiry.kind}`,
    title: TITLES[expiry.kind],
    needs: [],
    run: async () => expiryResult(expiry, now()),
  }));
  const unknown = known.length === 0 ? unknownExpiry(config, certificates) : undefined;
  if (unknown !== undefined) checks.push(unknown);
  if (DELEGATED_FLOWS.has(oauth.flow) && oauth.user !== undefined) {
    const user = oauth.user;
    checks.push({
      id: 'expiry:refresh_token',
      title: `${TITLES.refresh_token} (${user})`,
      needs: [],
      run: async () => {
        const cache = (await options.session()).cache;
        if (cache === undefined)
          return 'no persistent token cache: the refresh token lives in this process only';
        const issuedAt = await refreshTokenIssuedAt(cache, config, user);
        if (issuedAt === undefined) return 'no refresh token in the cache yet';
        const expiry: CredentialExpiry = {
          kind: 'refresh_token',
          provider: oauth.provider,
          subject: `refresh token of ${user}`,
          expiresAt: refreshTokenExpiresAt(issuedAt),
        };
        return expiryResult(expiry, now());
      },
    });
  }
  return checks;
}

/** Flows that present the configured client secret or certificate. */
const CLIENT_CREDENTIAL_FLOWS = new Set(['client_credentials', 'password', 'refresh_token']);

/** A configured credential whose expiry Kalisto cannot know: says how to let it. */
function unknownExpiry(config: ResolvedConfig, certificates: boolean): Check | undefined {
  const { oauth } = config;
  if (!CLIENT_CREDENTIAL_FLOWS.has(oauth.flow)) return undefined;
  if (certificates && oauth.certificate !== undefined) {
    return {
      id: 'expiry:certificate',
      title: TITLES.certificate,
      needs: [],
      run: async () =>
        'unknown: put the certificate in the PEM of o365.oauth.certificate.privateKey (openssl pkcs12 -nodes writes both) to be warned before it expires',
    };
  }
  if (oauth.clientSecret === undefined) return undefined;
  return {
    id: 'expiry:client_secret',
    title: TITLES.client_secret,
    needs: [],
    run: async () =>
      "unknown: set o365.oauth.clientSecret.expires to the secret's Expires date (e.g. 2027-03-31) to be warned before it expires",
  };
}

/**
 * When the cached refresh token of `user` was issued, from the entry the provider keeps (no secret
 * is read: only the time stored beside it). Undefined when there is none, or it predates tracking.
 */
async function refreshTokenIssuedAt(
  cache: CacheBackend,
  config: ResolvedConfig,
  user: string,
): Promise<number | undefined> {
  const { oauth } = config;
  let key: string;
  let field: 'refreshedAt' | 'storedAt';
  if (oauth.provider === 'oauth2') {
    const { refreshTokenKey } = await import('@kalisto/token-oauth2');
    key = refreshTokenKey({ tokenUrl: oauth.tokenUrl, clientId: oauth.clientId, user });
    field = 'storedAt';
  } else if (oauth.provider === 'msal') {
    const { msalCacheKey } = await import('@kalisto/token-msal');
    key = msalCacheKey({ authority: oauth.authority, clientId: oauth.clientId, user });
    field = 'refreshedAt';
  } else {
    return undefined;
  }
  const entry = await cache.get<Record<string, unknown>>(key);
  const issuedAt = entry?.[field];
  return typeof issuedAt === 'number' ? issuedAt : undefined;
}
