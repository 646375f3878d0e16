/**
 * What identity platforms say when a token request fails, as data: one row per AADSTS number group
 * (Microsoft) and per RFC 6749 `error` value (any OAuth2 server), each with a stable code and a fix.
 * `classifyTokenError` (classify-token.ts) applies them.
 */

/** One row of the AADSTS table: Microsoft identity platform error numbers with one fix. */
export interface AadstsRule {
  /** The AADSTS numbers this row covers, e.g. `['70011', '1002012']`. */
  aadsts: readonly string[];
  /** Stable Kalisto code, e.g. `TOKEN_INVALID_SCOPE`. */
  code: string;
  /** What happened, in words. */
  meaning: string;
  /** What the user must do. */
  hint: string;
}

/** One row of the OAuth2 (RFC 6749/8628) `error` table, used when there is no AADSTS number. */
export interface OAuthErrorRule {
  error: string;
  code: string;
  meaning: string;
  hint: string;
  transient?: boolean;
}

/** Microsoft identity platform errors (errors.md's token table, plus a few frequent neighbours). */
export const AADSTS_ERRORS: readonly AadstsRule[] = [
  {
    aadsts: ['90002', '900023'],
    code: 'TOKEN_TENANT_NOT_FOUND',
    meaning: 'the tenant was not found',
    hint: 'Check o365.oauth.tenant (the directory id or a verified domain) and o365.cloud.',
  },
  {
    aadsts: ['700016'],
    code: 'TOKEN_APP_NOT_FOUND',
    meaning: 'the application was not found in the directory',
    hint: 'Check o365.oauth.clientId: the app must be registered in (or consented to by) this tenant.',
  },
  {
    aadsts: ['7000215'],
    code: 'TOKEN_INVALID_CLIENT_SECRET',
    meaning: 'the client secret is invalid',
    hint: "Use the secret's Value, not its ID (Secret ID), from App registrations > Certificates & secrets.",
  },
  {
    aadsts: ['7000222'],
    code: 'TOKEN_CLIENT_SECRET_EXPIRED',
    meaning: 'the client secret has expired',
    hint: 'Create a new client secret for the app registration and update the config with its Value.',
  },
  {
    aadsts: ['7000218'],
    code: 'TOKEN_CLIENT_CREDENTIAL_REQUIRED',
    meaning: 'the request needs a client_assertion or client_secret',
    hint: 'Give the client secret (o365.oauth.clientSecret), or enable "Allow public client flows" for a public client.',
  },
  {
    aadsts: ['700025'],
    code: 'TOKEN_PUBLIC_CLIENT_SECRET',
    meaning: 'a public client must not send a client secret',
    hint: 'Remove the client secret from the config, or register the app as a confidential client.',
  },
  {
    aadsts: ['700027'],
    code: 'TOKEN_INVALID_CLIENT_ASSERTION',
    meaning: 'the client assertion (certificate credential) is invalid',
    hint: 'Check that the certificate thumbprint and private key match a certificate uploaded to the app registration.',
  },
  {
    aadsts: ['50126'],
    code: 'TOKEN_INVALID_CREDENTIALS',
    meaning: 'invalid user name or password',
    hint: 'Check o365.user and o365.password (an app password does not work with the password grant).',
  },
  {
    aadsts: ['50034'],
    code: 'TOKEN_USER_NOT_FOUND',
    meaning: 'the user account does not exist in this directory',
    hint: 'Check o365.user and that o365.oauth.tenant is the tenant of this user.',
  },
  {
    aadsts: ['50076', '50079', '50074'],
    code: 'TOKEN_MFA_REQUIRED',
    meaning: 'multi-factor authentication is required',
    hint: 'The password grant cannot do MFA: use device code (delegated) or client credentials (app-only).',
  },
  {
    aadsts: ['53003'],
    code: 'TOKEN_BLOCKED_BY_CONDITIONAL_ACCESS',
    meaning: 'a Conditional Access policy blocked the sign-in',
    hint: 'Ask an administrator to check the sign-in logs and the Conditional Access policies for this app and user.',
  },
  {
    aadsts: ['65001'],
    code: 'TOKEN_CONSENT_REQUIRED',
    meaning: 'consent was not granted for the requested permissions',
    hint: 'An administrator must "Grant admin consent" for the permissions in the app registration (API permissions).',
  },
  {
    aadsts: ['70011', '1002012'],
    code: 'TOKEN_INVALID_SCOPE',
    meaning: 'the scope is invalid',
    hint: 'Client credentials need the scope https://outlook.office365.com/.default; delegated flows https://outlook.office.com/IMAP.AccessAsUser.All (or POP.AccessAsUser.All, SMTP.Send).',
  },
  {
    aadsts: ['700082', '70008', '50173'],
    code: 'TOKEN_REFRESH_EXPIRED',
    meaning: 'the refresh token has expired or was revoked',
    hint: 'Sign in again (device code); tokens unused for 90 days expire, so keep them refreshed.',
  },
  {
    aadsts: ['500011', '50020'],
    code: 'TOKEN_WRONG_TENANT',
    meaning: 'the resource or the user is not in this tenant',
    hint: "Wrong tenant for this mailbox: set o365.oauth.tenant to the mailbox's tenant and check the scope's host.",
  },
];

/** RFC 6749/8628 `error` values, for identity providers without AADSTS numbers. */
export const OAUTH_ERRORS: readonly OAuthErrorRule[] = [
  {
    error: 'invalid_client',
    code: 'TOKEN_INVALID_CLIENT',
    meaning: 'the client authentication failed',
    hint: 'Check the client id and client secret (or certificate).',
  },
  {
    error: 'invalid_grant',
    code: 'TOKEN_INVALID_GRANT',
    meaning: 'the grant (password, refresh token or code) was refused',
    hint: 'Check the user name and password, or sign in again for a new refresh token.',
  },
  {
    error: 'invalid_scope',
    code: 'TOKEN_INVALID_SCOPE',
    meaning: 'the scope is invalid',
    hint: 'Check o365.oauth.scopes against the scopes the identity provider defines.',
  },
  {
    error: 'unauthorized_client',
    code: 'TOKEN_UNAUTHORIZED_CLIENT',
    meaning: 'the client may not use this grant type',
    hint: 'Enable the grant (flow) for this client at the identity provider, or change o365.oauth.flow.',
  },
  {
    error: 'unsupported_grant_type',
    code: 'TOKEN_UNSUPPORTED_GRANT',
    meaning: 'the identity provider does not support this grant type',
    hint: 'Choose a flow the identity provider supports (o365.oauth.flow).',
  },
  {
    error: 'consent_required',
    code: 'TOKEN_CONSENT_REQUIRED',
    meaning: 'consent was not granted',
    hint: 'An administrator must "Grant admin consent" for the permissions.',
  },
  {
    error: 'interaction_required',
    code: 'TOKEN_INTERACTION_REQUIRED',
    meaning: 'the sign-in needs user interaction (MFA, consent or a policy)',
    hint: 'Use the device code flow, or client credentials for unattended access.',
  },
  {
    error: 'access_denied',
    code: 'TOKEN_ACCESS_DENIED',
    meaning: 'the user or an administrator declined the request',
    hint: 'Sign in again and accept the request, or ask an administrator.',
  },
  {
    error: 'expired_token',
    code: 'TOKEN_DEVICE_CODE_EXPIRED',
    meaning: 'the device code expired before the user signed in',
    hint: 'Start the device code sign-in again and finish it within the time shown.',
  },
  {
    error: 'temporarily_unavailable',
    code: 'TOKEN_SERVICE_UNAVAILABLE',
    meaning: 'the identity platform is temporarily unavailable',
    hint: 'Retry later.',
    transient: true,
  },
  {
    error: 'server_error',
    code: 'TOKEN_SERVER_ERROR',
    meaning: 'the identity platform failed',
    hint: 'Retry later.',
    transient: true,
  },
];
