/**
 * Warnings before a credential dies: the certificate, the client secret and refresh tokens idle
 * too long. One wording for the log, the metric and `kalisto doctor`; each warning once per
 * threshold crossing per process.
 */
import type { OAuthSettings } from '../config/types.js';
import type { Logger } from '../logging/logger.js';
import type { CredentialKind } from '../telemetry/index.js';

/** Days before expiry at which a warning is logged, each once per process. */
export const CREDENTIAL_WARNING_DAYS: readonly number[] = [30, 7, 1];

/**
 * Microsoft Entra ID refresh tokens: "The default lifetime for the refresh tokens is 24 hours for
 * single page apps and 90 days for all other scenarios. Refresh tokens replace themselves with a
 * fresh token upon every use", and that lifetime cannot be configured (since 2021-01-30; Conditional
 * Access sign-in frequency may end them sooner). An unused one is refused with AADSTS700082 "The
 * refresh token has expired due to inactivity … inactive for 90.00:00:00".
 * https://learn.microsoft.com/entra/identity-platform/refresh-tokens (Token lifetime, Token timeouts)
 * One idle for `renewAfterIdleDays` is redeemed on the next token request, which renews it.
 */
export const REFRESH_TOKEN_LIFETIME = { maxInactiveDays: 90, renewAfterIdleDays: 80 } as const;

const DAY_MS = 86_400_000;

/** One credential's expiry. Names nothing secret. */
export interface CredentialExpiry {
  readonly kind: CredentialKind;
  /** The token provider using it (`kalisto.token.provider`). */
  readonly provider: string;
  /** Names the credential for people and for once-only warnings: client id, thumbprint, user. No secret. */
  readonly subject: string;
  /** Epoch ms when it stops working. */
  readonly expiresAt: number;
}

/** Where a credential stands and what to do. */
export interface CredentialExpiryFinding {
  readonly status: 'ok' | 'warning' | 'expired';
  /** Whole days left, rounded down; negative once expired. */
  readonly daysLeft: number;
  readonly message: string;
  /** What to do; empty when nothing needs doing. */
  readonly fix: string;
}

/** The refresh token's expiry: the 90-day inactivity window from its last redemption. */
export function refreshTokenExpiresAt(lastRedeemedAt: number): number {
  return lastRedeemedAt + REFRESH_TOKEN_LIFETIME.maxInactiveDays * DAY_MS;
}

/** Whether a refresh token last redeemed then is idle long enough to be redeemed proactively. */
export function refreshTokenNeedsRenewal(lastRedeemedAt: number | undefined, now: number): boolean {
  return (
    lastRedeemedAt === undefined || now - lastRedeemedAt >= REFRESH_TOKEN_LIFETIME.renewAfterIdleDays * DAY_MS
  );
}

/** Flows that present no client secret or certificate. */
const NO_CLIENT_CREDENTIAL = new Set(['managed_identity', 'device_code']);

/**
 * The certificate and client secret expiries a configuration knows, for the credential it presents:
 * the certificate when one is configured and `certificates` is true (MSAL prefers it), else the
 * secret. `certificates: false` for a provider without certificate support (`oauth2`).
 */
export function configuredCredentialExpiries(
  oauth: OAuthSettings,
  options: { certificates?: boolean } = {},
): CredentialExpiry[] {
  const expiries: CredentialExpiry[] = [];
  if (NO_CLIENT_CREDENTIAL.has(oauth.flow)) return expiries;
  const certificate = options.certificates === false ? undefined : oauth.certificate;
  if (certificate?.notAfter !== undefined) {
    expiries.push({
      kind: 'certificate',
      provider: oauth.provider,
      subject: `certificate ${certificate.thumbprint.toUpperCase()} of app ${oauth.clientId}`,
      expiresAt: certificate.notAfter,
    });
  } else if (
    certificate === undefined &&
    oauth.clientSecret !== undefined &&
    oauth.clientSecretExpiresAt !== undefined
  ) {
    expiries.push({
      kind: 'client_secret',
      provider: oauth.provider,
      subject: `client secret of app ${oauth.clientId}`,
      expiresAt: oauth.clientSecretExpiresAt,
    });
  }
  return expiries;
}

const FIXES: Record<CredentialKind, string> = {
  certificate:
    'Create a new certificate, upload its public part to the app registration (Microsoft Entra admin center › App registrations › the app › Certificates & secrets › Certificates), then set o365.oauth.certificate.thumbprint and o365.oauth.certificate.privateKey (a PEM with the key and the certificate) to the new one.',
  client_secret:
    'Add a new client secret to the app registration (Certificates & secrets › Client secrets › New client secret), set o365.oauth.clientSecret to its Value and o365.oauth.clientSecret.expires to its Expires date, then delete the old secret.',
  refresh_token:
    'Sign the user in again (kalisto login, or the device code flow) with the same token cache, or configure a new refresh token.',
};

/** The finding for one credential at `now`: ok beyond 30 days, a warning within, expired after. */
export function credentialExpiryFinding(expiry: CredentialExpiry, now: number): CredentialExpiryFinding {
  const leftMs = expiry.expiresAt - now;
  const daysLeft = Math.floor(leftMs / DAY_MS);
  const date = new Date(expiry.expiresAt).toISOString().slice(0, 10);
  const warnDays = Math.max(...CREDENTIAL_WARNING_DAYS);
  const name = expiry.subject.charAt(0).toUpperCase() + expiry.subject.slice(1);
  if (leftMs <= 0) {
    const ago = Math.floor(-leftMs / DAY_MS);
    const since = ago === 0 ? 'today' : `${ago} ${ago === 1 ? 'day' : 'days'} ago`;
    const why =
      expiry.kind === 'refresh_token'
        ? ` (unused for ${REFRESH_TOKEN_LIFETIME.maxInactiveDays} days: Microsoft Entra ID refuses it with AADSTS700082)`
        : '';
    return {
      status: 'expired',
      daysLeft,
      message: `${name} expired ${since} (${date})${why}: token requests with it fail.`,
      fix: FIXES[expiry.kind],
    };
  }
  const left = daysLeft === 0 ? 'less than a day' : `${daysLeft} ${daysLeft === 1 ? 'day' : 'days'}`;
  if (leftMs > warnDays * DAY_MS) {
    return { status: 'ok', daysLeft, message: `${name} expires in ${left} (${date}).`, fix: '' };
  }
  if (expiry.kind === 'refresh_token') {
    return {
      status: 'warning',
      daysLeft,
      message: `${name} dies of inactivity in ${left} (${date}): Microsoft Entra ID refuses a refresh token unused for ${REFRESH_TOKEN_LIFETIME.maxInactiveDays} days.`,
      fix: `Request a token before then (any kalisto command using this account renews it; one idle ${REFRESH_TOKEN_LIFETIME.renewAfterIdleDays} days is renewed on the next request). Once expired: ${FIXES.refresh_token}`,
    };
  }
  return {
    status: 'warning',
    daysLeft,
    message: `${name} expires in ${left} (${date}): token requests fail after that.`,
    fix: FIXES[expiry.kind],
  };
}

/** What a process remembers about expiries: the warnings already given. */
export interface CredentialExpiryTracker {
  /** Credential key → the lowest threshold (days; 0 = expired) already warned about. */
  readonly warned: Map<string, number>;
}

/** A fresh tracker (tests); providers share {@link processCredentialExpiries}. */
export function createCredentialExpiryTracker(): CredentialExpiryTracker {
  return { warned: new Map() };
}

/**
 * This process's tracker: a certificate shared by a hundred sessions is warned about once, not a
 * hundred times. Holds at most {@link MAX_TRACKED} credentials (the oldest is forgotten first).
 */
export const processCredentialExpiries: CredentialExpiryTracker = createCredentialExpiryTracker();

const MAX_TRACKED = 10_000;

/** The threshold bucket of a credential at `now`: the lowest warning day reached, 0 once expired, Infinity before. */
function bucket(expiresAt: number, now: number): number {
  const leftMs = expiresAt - now;
  if (leftMs <= 0) return 0;
  let reached = Number.POSITIVE_INFINITY;
  for (const days of CREDENTIAL_WARNING_DAYS) if (leftMs <= days * DAY_MS) reached = Math.min(reached, days);
  return reached;
}

export interface TrackCredentialExpiryOptions {
  logger: Logger;
  now: number;
  tracker?: CredentialExpiryTracker;
}

/**
 * Records a credential's expiry and logs a warning when it crossed a threshold (30, 7, 1 days,
 * expired) not yet warned about in this process. A renewed credential (later expiry) starts over.
 * Returns the finding.
 */
export function trackCredentialExpiry(
  expiry: CredentialExpiry,
  options: TrackCredentialExpiryOptions,
): CredentialExpiryFinding {
  const { logger, now, tracker = processCredentialExpiries } = options;
  const key = `${expiry.kind}\u0000${expiry.provider}\u0000${expiry.subject}`;
  const reached = bucket(expiry.expiresAt, now);
  const warned = tracker.warned.get(key) ?? Number.POSITIVE_INFINITY;
  const finding = credentialExpiryFinding(expiry, now);
  if (reached < warned) {
    remember(tracker.warned, key, reached);
    const fields = {
      provider: expiry.provider,
      credential: expiry.kind,
      expiresAt: new Date(expiry.expiresAt).toISOString(),
      daysLeft: finding.daysLeft,
      fix: finding.fix,
    };
    if (finding.status === 'expired') logger.error(fields, finding.message);
    else logger.warn(fields, finding.message);
  } else if (reached > warned) {
    remember(tracker.warned, key, reached);
  }
  return finding;
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_TRACKED) map.delete(map.keys().next().value as string);
}

/** One point of the `kalisto.credential.expiry` gauge (the shape `observeCredentialExpiry` reads). */
export interface CredentialExpiryPoint {
  readonly kind: CredentialKind;
  readonly provider: string;
  /** Seconds until expiry; negative once expired. */
  readonly secondsLeft: number;
}

/**
 * The gauge's points at `now`: per kind and provider the soonest expiry (the subject — a user, a
 * thumbprint — is left out: personal data, and unbounded cardinality).
 */
export function credentialExpiryPoints(
  expiries: Iterable<CredentialExpiry>,
  now: number,
): CredentialExpiryPoint[] {
  const soonest = new Map<string, CredentialExpiry>();
  for (const expiry of expiries) {
    const key = `${expiry.kind}\u0000${expiry.provider}`;
    const known = soonest.get(key);
    if (known === undefined || expiry.expiresAt < known.expiresAt) soonest.set(key, expiry);
  }
  return [...soonest.values()].map((expiry) => ({
    kind: expiry.kind,
    provider: expiry.provider,
    secondsLeft: Math.round((expiry.expiresAt - now) / 1000),
  }));
}
