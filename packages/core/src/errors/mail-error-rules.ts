/**
 * What mail servers say when they refuse a login or a session, as data: one table per protocol
 * (Exchange Online's texts first, then the RFC codes other servers use), each row with a stable code
 * and a fix. `classifyMailError` (classify-mail.ts) applies them.
 */

/** One row of a mail server's error table. */
export interface MailErrorRule {
  /** Stable Kalisto code, e.g. `AUTH_TOKEN_REJECTED`. */
  code: string;
  /**
   * Matches the server text (with the response code in front, when one is given). A named group
   * `retryAfterMs` carries a server-suggested wait.
   */
  pattern: RegExp;
  /** A real server text this row is written for (the sandbox can send it; the doctor can show it). */
  example: string;
  /** `authentication`: the server refused the identity; `connection`: the session or the rate failed. */
  kind: 'authentication' | 'connection';
  meaning: string;
  hint: string;
  /** Worth retrying on a new connection (after `retryAfterMs`, when given). */
  transient: boolean;
  /** The wait before a retry when the server names none (a `retryAfterMs` group in `pattern` wins). */
  retryAfterMs?: number;
  /** How findings from the token's claims combine with `hint`: replace it, or go in front of it. */
  findings?: 'replace' | 'prepend';
}

/** Exchange Online's IMAP texts (errors.md), then the RFC 5530 codes other servers (Dovecot) use. */
export const IMAP_SERVER_ERRORS: readonly MailErrorRule[] = [
  {
    code: 'AUTH_TOKEN_REJECTED',
    pattern: /AUTHENTICATE failed/i,
    example: 'NO AUTHENTICATE failed.',
    kind: 'authentication',
    meaning: 'the server refused the token',
    hint: "Check the token's aud, scp and roles: request the Exchange scope (https://outlook.office.com/IMAP.AccessAsUser.All delegated, https://outlook.office365.com/.default app-only with IMAP.AccessAsApp).",
    transient: false,
    findings: 'replace',
  },
  {
    code: 'AUTH_MAILBOX_NOT_CONNECTED',
    pattern: /User is authenticated but not connected/i,
    example: 'BAD User is authenticated but not connected.',
    kind: 'authentication',
    meaning: 'the token is valid, but this identity has no access to this mailbox',
    hint: "App-only: register the app's service principal in Exchange (New-ServicePrincipal with the enterprise application's object id) and grant it the mailbox (Add-MailboxPermission -AccessRights FullAccess). Delegated: the token's user is not the mailbox; log in as the token's user or grant Full Access.",
    transient: false,
    findings: 'prepend',
  },
  {
    code: 'AUTH_TOKEN_EXPIRED',
    pattern: /AccessTokenExpired/i,
    example: '* BYE Session invalidated - AccessTokenExpired',
    kind: 'authentication',
    meaning: 'the token expired during the session',
    hint: 'Reconnect with a fresh token (Kalisto does this).',
    transient: true,
  },
  {
    code: 'THROTTLED',
    pattern: /Request is throttled\. Suggested Backoff Time: (?<retryAfterMs>\d+) milliseconds/i,
    example: 'Request is throttled. Suggested Backoff Time: 1500 milliseconds',
    kind: 'connection',
    meaning: 'the server is throttling this client',
    hint: 'Back off for the suggested time, and use fewer parallel connections.',
    transient: true,
  },
  {
    code: 'SESSION_INVALID_STATE',
    pattern: /Command received in Invalid state/i,
    example: 'BAD Command received in Invalid state.',
    kind: 'connection',
    meaning: 'a command was sent after a failed login',
    hint: 'Reconnect and authenticate again.',
    transient: true,
  },
  {
    code: 'AUTH_TOKEN_REJECTED',
    pattern: /\[AUTHENTICATIONFAILED\]|^AUTHENTICATIONFAILED\b/i,
    example: 'NO [AUTHENTICATIONFAILED] Authentication failed.',
    kind: 'authentication',
    meaning: 'the server refused the token',
    hint: "Check the token's audience, scopes and user against what the server expects.",
    transient: false,
    findings: 'replace',
  },
  {
    code: 'SERVER_UNAVAILABLE',
    pattern: /\[UNAVAILABLE\]|^UNAVAILABLE\b/i,
    example: 'NO [UNAVAILABLE] Temporary authentication failure.',
    kind: 'connection',
    meaning: 'the server is temporarily unavailable',
    hint: 'Retry later.',
    transient: true,
  },
];

/** Exchange Online's POP3 texts (errors.md), then the RFC 3206 codes other servers use. */
export const POP3_SERVER_ERRORS: readonly MailErrorRule[] = [
  {
    code: 'AUTH_TOKEN_REJECTED',
    pattern: /Authentication failure: unknown user name or bad password/i,
    example: '-ERR Authentication failure: unknown user name or bad password.',
    kind: 'authentication',
    meaning: 'the server refused the token',
    hint: "Check the token's aud, scp and roles (POP.AccessAsUser.All delegated, POP.AccessAsApp app-only), that POP is enabled for the mailbox, and that AUTH XOAUTH2 and its payload go on two lines.",
    transient: false,
    findings: 'replace',
  },
  {
    code: 'AUTH_TOKEN_REJECTED',
    pattern: /\[AUTH\]/i,
    example: '-ERR [AUTH] Authentication failed.',
    kind: 'authentication',
    meaning: 'the server refused the token',
    hint: "Check the token's audience, scopes and user against what the server expects.",
    transient: false,
    findings: 'replace',
  },
  {
    code: 'AUTH_TOKEN_EXPIRED',
    pattern: /Session invalidated - (?:AccessTokenExpired|TokenRevoked)/i,
    example: '-ERR [SYS/PERM] Session invalidated - AccessTokenExpired',
    kind: 'authentication',
    meaning: 'the token expired or was revoked during the session',
    hint: 'Reconnect with a fresh token (Kalisto does this).',
    transient: true,
  },
  {
    code: 'SERVER_UNAVAILABLE',
    pattern: /\[SYS\/TEMP\]|\[IN-USE\]/i,
    example: '-ERR [SYS/TEMP] Temporary authentication failure.',
    kind: 'connection',
    meaning: 'the server is temporarily unavailable or the mailbox is in use',
    hint: 'Retry later; close other POP3 sessions to this mailbox.',
    transient: true,
  },
];

/** Exchange Online's SMTP texts (errors.md), then RFC 4954's generic replies. */
export const SMTP_SERVER_ERRORS: readonly MailErrorRule[] = [
  {
    code: 'AUTH_SMTP_DISABLED',
    pattern: /5\.7\.139\b.*SmtpClientAuthentication is disabled/is,
    example:
      '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.',
    kind: 'authentication',
    meaning: 'SMTP AUTH is switched off',
    hint: 'Enable SMTP AUTH for the mailbox: Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false (and for the tenant: Set-TransportConfig -SmtpClientAuthenticationDisabled $false). Or send through Microsoft Graph, which needs no SMTP AUTH: mail.transport.protocol=graph (@kalisto/protocol-graph, in @kalisto/outlook).',
    transient: false,
  },
  {
    code: 'AUTH_TOKEN_REJECTED',
    pattern: /\b5\.7\.3\b/,
    example: '535 5.7.3 Authentication unsuccessful',
    kind: 'authentication',
    meaning: 'the server refused the token',
    hint: "Check the token's aud, scp and roles: SMTP needs SMTP.Send (delegated, scope https://outlook.office.com/SMTP.Send) or SMTP.SendAsApp (app-only, https://outlook.office365.com/.default).",
    transient: false,
    findings: 'replace',
  },
  {
    code: 'SEND_AS_DENIED',
    pattern: /\b5\.7\.60\b|SendAsDenied/i,
    example: '550 5.7.60 SMTP; Client does not have permissions to send as this sender',
    kind: 'authentication',
    meaning: 'the From address is not the authenticated mailbox',
    hint: "Send as the token's mailbox, or grant Send As on the sender (Add-RecipientPermission -Identity <sender> -Trustee <mailbox> -AccessRights SendAs).",
    transient: false,
  },
  {
    code: 'AUTH_TOKEN_EXPIRED',
    pattern: /Session invalidated - (?:AccessTokenExpired|TokenRevoked)/i,
    example: '421 4.7.0 Session invalidated - AccessTokenExpired',
    kind: 'authentication',
    meaning: 'the token expired or was revoked during the session',
    hint: 'Reconnect with a fresh token (Kalisto does this).',
    transient: true,
  },
  {
    code: 'TOO_MANY_CONNECTIONS',
    pattern: /\b4\.3\.2\b.*(Concurrent connections limit exceeded|sender thread limit exceeded)/is,
    example: '432 4.3.2 Concurrent connections limit exceeded',
    kind: 'connection',
    meaning: 'too many parallel SMTP sessions for this mailbox (about 3)',
    hint: 'Limit the SMTP pool size (about 3 connections per mailbox) and retry later.',
    transient: true,
    // Exchange names no wait; one of the other sessions usually ends within seconds.
    retryAfterMs: 15_000,
  },
  {
    code: 'SUBMISSION_QUOTA_EXCEEDED',
    pattern: /SubmissionQuotaExceededException/i,
    example: '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException',
    kind: 'connection',
    meaning: 'the mailbox exceeded its sending quota (about 30 messages a minute, 10,000 recipients a day)',
    hint: 'Slow down: send fewer messages a minute and fewer recipients a day; Kalisto does not retry this.',
    transient: false,
  },
  {
    code: 'SMTP_NOT_AUTHENTICATED',
    pattern: /\b5\.7\.57\b/,
    example: '530 5.7.57 Client not authenticated to send mail.',
    kind: 'authentication',
    meaning: 'the message was sent without authenticating',
    hint: 'Authenticate before sending (mail.smtp.auth=true) over STARTTLS on port 587.',
    transient: false,
  },
  {
    code: 'SERVER_UNAVAILABLE',
    pattern: /^454\b/,
    example: '454 4.7.0 Temporary authentication failure',
    kind: 'connection',
    meaning: 'the server could not authenticate now',
    hint: 'Retry later.',
    transient: true,
  },
  {
    code: 'AUTH_TOKEN_REJECTED',
    pattern: /^535\b/,
    example: '535 5.7.8 Error: authentication failed',
    kind: 'authentication',
    meaning: 'the server refused the token',
    hint: "Check the token's audience, scopes and user against what the server expects.",
    transient: false,
    findings: 'replace',
  },
];

/** The mail tables by protocol. */
export const MAIL_SERVER_ERRORS: Readonly<Record<'imap' | 'pop3' | 'smtp', readonly MailErrorRule[]>> = {
  imap: IMAP_SERVER_ERRORS,
  pop3: POP3_SERVER_ERRORS,
  smtp: SMTP_SERVER_ERRORS,
};
