// What identity platforms and mail servers send, for the classifier tests: errors.md's tables as
// rows, a Microsoft token reply, a Graph token's claims, and secrets that must never show.
import { xoauth2InitialResponse } from '../src/sasl/payloads.js';
import type { TokenClaimsSummary } from '../src/token/claims.js';

// Fixture secrets: none of them may appear in any error this module produces.
export const ACCESS_TOKEN =
  'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL291dGxvb2sub2ZmaWNlLmNvbSIsInNjcCI6IklNQVAifQ.c2lnbmF0dXJlLW9mLXRoZS1hY2Nlc3MtdG9rZW4';
export const CLIENT_SECRET = 'Qx8Q~fixture.client-secret_Value0123456789';
export const PASSWORD = 'fixture-Pa55word!';
export const XOAUTH2_PAYLOAD = xoauth2InitialResponse({
  user: 'someone@contoso.example',
  accessToken: ACCESS_TOKEN,
});
export const SECRETS = [ACCESS_TOKEN, CLIENT_SECRET, PASSWORD, XOAUTH2_PAYLOAD];

export const TRACE = '0b3bfbb1-6a2f-4e1b-9a4b-2f3c1b3f9e00';
export const CORRELATION = '5c1c1f9b-8d0d-4a43-9a57-7a2d0e3f1b11';
export const NOW = Date.UTC(2026, 10, 29, 6, 0, 0);

/** A reply of Microsoft's token endpoint, as it sends it. */
export function microsoftReply(aadsts: number, error: string, text: string) {
  return {
    error,
    error_description: `AADSTS${aadsts}: ${text}\r\nTrace ID: ${TRACE}\r\nCorrelation ID: ${CORRELATION}\r\nTimestamp: 2026-11-29 06:00:00Z`,
    error_codes: [aadsts],
    timestamp: '2026-11-29 06:00:00Z',
    trace_id: TRACE,
    correlation_id: CORRELATION,
  };
}

// errors.md, "Token endpoint": every AADSTS code, the code we give it, and words its fix must contain.
export const TOKEN_TABLE: ReadonlyArray<[number, string, string, string]> = [
  [90002, 'invalid_request', 'TOKEN_TENANT_NOT_FOUND', 'o365.oauth.tenant'],
  [700016, 'unauthorized_client', 'TOKEN_APP_NOT_FOUND', 'o365.oauth.clientId'],
  [7000215, 'invalid_client', 'TOKEN_INVALID_CLIENT_SECRET', "use the secret's Value, not its ID"],
  [7000222, 'invalid_client', 'TOKEN_CLIENT_SECRET_EXPIRED', 'create a new client secret'],
  [7000218, 'invalid_client', 'TOKEN_CLIENT_CREDENTIAL_REQUIRED', 'Allow public client flows'],
  [700025, 'invalid_client', 'TOKEN_PUBLIC_CLIENT_SECRET', 'register the app as a confidential client'],
  [
    50126,
    'invalid_grant',
    'TOKEN_INVALID_CREDENTIALS',
    'an app password does not work with the password grant',
  ],
  [50076, 'invalid_grant', 'TOKEN_MFA_REQUIRED', 'the password grant cannot do MFA: use device code'],
  [65001, 'invalid_grant', 'TOKEN_CONSENT_REQUIRED', 'Grant admin consent'],
  [70011, 'invalid_scope', 'TOKEN_INVALID_SCOPE', 'https://outlook.office365.com/.default'],
  [1002012, 'invalid_scope', 'TOKEN_INVALID_SCOPE', 'https://outlook.office365.com/.default'],
  [700082, 'invalid_grant', 'TOKEN_REFRESH_EXPIRED', 'sign in again'],
  [500011, 'invalid_resource', 'TOKEN_WRONG_TENANT', 'wrong tenant for this mailbox'],
  [50020, 'invalid_grant', 'TOKEN_WRONG_TENANT', 'wrong tenant for this mailbox'],
];

// errors.md, "IMAP", "POP3" and "SMTP": the server texts verbatim, the code, and words the fix must contain.
export type MailRow = [protocol: 'imap' | 'pop3' | 'smtp', text: string, code: string, fix: string];
export const MAIL_TABLE: readonly MailRow[] = [
  ['imap', 'NO AUTHENTICATE failed.', 'AUTH_TOKEN_REJECTED', 'request the Exchange scope'],
  [
    'imap',
    'BAD User is authenticated but not connected.',
    'AUTH_MAILBOX_NOT_CONNECTED',
    'New-ServicePrincipal',
  ],
  [
    'imap',
    '* BYE Session invalidated - AccessTokenExpired',
    'AUTH_TOKEN_EXPIRED',
    'Reconnect with a fresh token',
  ],
  ['imap', 'Request is throttled. Suggested Backoff Time: 2500 milliseconds', 'THROTTLED', 'Back off'],
  ['imap', 'BAD Command received in Invalid state.', 'SESSION_INVALID_STATE', 'Reconnect'],
  [
    'pop3',
    '-ERR Authentication failure: unknown user name or bad password.',
    'AUTH_TOKEN_REJECTED',
    'POP.AccessAsApp',
  ],
  [
    'pop3',
    '-ERR [SYS/PERM] Session invalidated - AccessTokenExpired',
    'AUTH_TOKEN_EXPIRED',
    'Reconnect with a fresh token',
  ],
  [
    'pop3',
    '-ERR [SYS/PERM] Session invalidated - TokenRevoked',
    'AUTH_TOKEN_EXPIRED',
    'Reconnect with a fresh token',
  ],
  ['smtp', '535 5.7.3 Authentication unsuccessful', 'AUTH_TOKEN_REJECTED', 'SMTP.SendAsApp'],
  [
    'smtp',
    '421 4.7.0 Session invalidated - AccessTokenExpired',
    'AUTH_TOKEN_EXPIRED',
    'Reconnect with a fresh token',
  ],
  [
    'smtp',
    '421 4.7.0 Session invalidated - TokenRevoked',
    'AUTH_TOKEN_EXPIRED',
    'Reconnect with a fresh token',
  ],
  [
    'smtp',
    '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.',
    'AUTH_SMTP_DISABLED',
    'Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false',
  ],
  [
    'smtp',
    '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.',
    'AUTH_SMTP_DISABLED',
    'Or send through Microsoft Graph, which needs no SMTP AUTH: mail.transport.protocol=graph',
  ],
  [
    'smtp',
    '550 5.7.60 SMTP; Client does not have permissions to send as this sender',
    'SEND_AS_DENIED',
    'Add-RecipientPermission',
  ],
  ['smtp', '554 5.2.252 SendAsDenied', 'SEND_AS_DENIED', "send as the token's mailbox"],
  [
    'smtp',
    '432 4.3.2 Concurrent connections limit exceeded',
    'TOO_MANY_CONNECTIONS',
    'limit the SMTP pool size',
  ],
  [
    'smtp',
    '4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded',
    'TOO_MANY_CONNECTIONS',
    'limit the SMTP pool size',
  ],
  [
    'smtp',
    '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException',
    'SUBMISSION_QUOTA_EXCEEDED',
    'Slow down',
  ],
];
export const TRANSIENT_MAIL_CODES = new Set([
  'AUTH_TOKEN_EXPIRED',
  'THROTTLED',
  'SESSION_INVALID_STATE',
  'TOO_MANY_CONNECTIONS',
]);
export const CONNECTION_MAIL_CODES = new Set([
  'THROTTLED',
  'SESSION_INVALID_STATE',
  'TOO_MANY_CONNECTIONS',
  'SUBMISSION_QUOTA_EXCEEDED',
]);

export const graphToken: TokenClaimsSummary = {
  aud: 'https://graph.microsoft.com',
  tid: '11111111-2222-3333-4444-555555555555',
  user: 'someone@contoso.example',
  scp: ['Mail.Read'],
  roles: [],
  expiresAt: NOW + 3_600_000,
};
