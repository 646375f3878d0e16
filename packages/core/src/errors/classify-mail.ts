import type { CloudName } from '../config/types.js';
import type { SaslErrorChallenge } from '../sasl/payloads.js';
import {
  auditTokenClaims,
  type ClaimsFinding,
  formatClaimsSummary,
  type TokenClaimsSummary,
} from '../token/claims.js';
import { AuthenticationError, ConnectionError } from './errors.js';
import { MAIL_SERVER_ERRORS, type MailErrorRule } from './mail-error-rules.js';
import { scrubTokenLike } from './server-text.js';

/** Input of `classifyMailError`. */
export interface MailErrorInput {
  protocol: 'imap' | 'imaps' | 'pop3' | 'pop3s' | 'smtp' | 'smtps';
  /** The server's reply, e.g. `NO AUTHENTICATE failed.` or imapflow's `responseText`. */
  serverText: string;
  /** The response code when the client split it off: SMTP `535`, IMAP `AUTHENTICATIONFAILED`. */
  responseCode?: string | number;
  /** The refused token's claims; they turn into findings and a precise hint. */
  claims?: TokenClaimsSummary;
  /** The server's `+` error challenge (`parseSaslErrorChallenge`, imapflow's `oauthError`); its scope goes into the hint. */
  challenge?: SaslErrorChallenge;
  /** The mailbox being opened (for the USER_MISMATCH finding). */
  mailbox?: string;
  /** The configured tenant (for the WRONG_TENANT finding). */
  tenant?: string;
  /** App-only token; inferred from the claims when absent. */
  appOnly?: boolean;
  /** The cloud, to name its Exchange host in fixes (default `global`). */
  cloud?: CloudName;
  /**
   * The text answered the AUTH/AUTHENTICATE command: an unrecognised reply then counts as
   * `AUTH_FAILED` rather than `SERVER_ERROR`.
   */
  duringAuthentication?: boolean;
  /** Current time, epoch ms, for the EXPIRED finding (default `Date.now()`). */
  now?: number;
}

/**
 * An AuthenticationError (the server refused the identity) or a ConnectionError (session, throttling,
 * quota) for a mail server's reply, with a stable code and a fix; the hint of a token refusal is built
 * from the token's claims when they are given. The server text is kept, scrubbed of token-like text.
 */
export function classifyMailError(input: MailErrorInput): AuthenticationError | ConnectionError {
  const protocol = input.protocol.replace(/s$/, '') as 'imap' | 'pop3' | 'smtp';
  const serverText = scrubTokenLike(input.serverText.trim());
  const subject = [input.responseCode, serverText].filter((p) => p !== undefined && p !== '').join(' ');
  const rule =
    MAIL_SERVER_ERRORS[protocol].find((r) => r.pattern.test(subject)) ??
    fallbackRule(protocol, input, subject);
  const match = rule.pattern.exec(subject);
  const suggested = match?.groups?.retryAfterMs;
  const retryAfterMs = suggested === undefined ? rule.retryAfterMs : Number(suggested);

  const findings: ClaimsFinding[] =
    input.claims === undefined || rule.kind !== 'authentication'
      ? []
      : auditTokenClaims(input.claims, {
          protocol,
          mailbox: input.mailbox,
          tenant: input.tenant,
          appOnly: input.appOnly,
          cloud: input.cloud,
          now: input.now ?? Date.now(),
        });
  const findingsText = findings.map((f) => f.message).join(' ');
  let hint = rule.hint;
  if (findings.length > 0 && rule.findings === 'replace') hint = findingsText;
  if (findings.length > 0 && rule.findings === 'prepend') hint = `${findingsText} ${rule.hint}`;
  if (rule.kind === 'authentication' && input.challenge?.scope) {
    hint = `${hint} The server asks for a token with the scope ${input.challenge.scope}.`;
  }

  const token = input.claims === undefined ? '' : ` Token: ${formatClaimsSummary(input.claims)}.`;
  const message = `[${protocol}] ${capitalise(rule.meaning)} (server: ${JSON.stringify(serverText)}).${rule.kind === 'authentication' ? token : ''} ${hint}`;
  if (rule.kind === 'connection') {
    return new ConnectionError(message, {
      code: rule.code,
      hint,
      protocol,
      transient: rule.transient,
      retryAfterMs,
    });
  }
  return new AuthenticationError(message, {
    code: rule.code,
    hint,
    protocol,
    serverText,
    claims: input.claims,
    findings,
    transient: rule.transient,
    retryAfterMs,
  });
}

function fallbackRule(
  protocol: 'imap' | 'pop3' | 'smtp',
  input: MailErrorInput,
  subject: string,
): MailErrorRule {
  const base = { pattern: /(?:)/, example: '' };
  if (input.duringAuthentication) {
    return {
      ...base,
      code: 'AUTH_FAILED',
      kind: 'authentication',
      meaning: 'the server refused the authentication',
      hint: "Read the server text; check the token's audience, permissions and user.",
      transient: false,
      findings: 'replace',
    };
  }
  const temporary = protocol === 'smtp' && /^4\d\d\b/.test(subject);
  return {
    ...base,
    code: 'SERVER_ERROR',
    kind: 'connection',
    meaning: 'the server reported an error',
    hint: temporary ? 'Retry later.' : 'Read the server text.',
    transient: temporary,
  };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
