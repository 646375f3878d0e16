/**
 * Turns what nodemailer reports into Kalisto errors: a server reply (`535 5.7.3 …`, `432 4.3.2 …`,
 * `554 5.2.252 SendAsDenied …`) goes through core's SMTP table with the refused token's claims; a
 * network, TLS or timeout failure gets an SMTP code of its own. Never the token in a message.
 */
import {
  type AccessToken,
  AuthenticationError,
  ConnectionError,
  decodeTokenClaims,
  isKalistoError,
  type KalistoError,
  type ProtocolSettings,
  type ResolvedConfig,
} from '@kalisto/core';
import { classifyMailError, createRedactor, scrubTokenLike } from '@kalisto/core/plugin';
import { tokenFailureOf } from './token-provisioner.js';

/** What a nodemailer error carries (all optional: anything may be thrown). */
interface NodemailerFailure {
  message?: unknown;
  code?: unknown;
  originalCode?: unknown;
  response?: unknown;
  command?: unknown;
  name?: unknown;
  cause?: unknown;
}

export interface SmtpFailureContext {
  settings: Pick<ProtocolSettings, 'protocol' | 'host' | 'port' | 'user'>;
  config: Pick<ResolvedConfig, 'oauth'>;
  /** The token the failed login used, for the claims of a refusal. */
  token?: AccessToken | undefined;
}

/** One row of the table for failures without a server reply. */
interface LocalFailureRule {
  code: string;
  matches: (failure: NodemailerFailure) => boolean;
  transient: boolean;
  what: string;
  hint: string;
}

const TLS_ERROR = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME|HANDSHAKE/i;

const isCode =
  (...codes: string[]) =>
  (f: NodemailerFailure) =>
    codes.includes(String(f.code));

/** Failures nodemailer reports without a server reply, first match wins. */
export const SMTP_LOCAL_FAILURES: readonly LocalFailureRule[] = [
  {
    code: 'SMTP_TLS_REQUIRED',
    matches: (f) => f.code === 'ETLS' && f.command === 'STARTTLS' && typeof f.response === 'string',
    transient: false,
    what: 'the server would not upgrade the connection with STARTTLS; no token was sent',
    hint: 'Use a server that offers STARTTLS, or implicit TLS (smtps, port 465).',
  },
  {
    code: 'SMTP_TLS_FAILED',
    matches: (f) => f.code === 'ETLS' || TLS_ERROR.test(`${f.originalCode ?? ''} ${f.message ?? ''}`),
    transient: false,
    what: 'the TLS handshake failed',
    hint: 'Check that the server certificate is trusted (kalisto.tls.ca), names the host (mail.<protocol>.host) and that both sides share a TLS version (mail.<protocol>.ssl.protocols).',
  },
  {
    code: 'SMTP_TIMEOUT',
    matches: isCode('ETIMEDOUT'),
    transient: true,
    what: 'the server did not answer in time',
    hint: 'Check the network path to the server, or raise mail.<protocol>.connectiontimeout / mail.<protocol>.timeout.',
  },
  {
    code: 'SMTP_PROXY_FAILED',
    matches: isCode('EPROXY'),
    transient: true,
    what: 'the proxy refused or failed the connection',
    hint: 'Check mail.<protocol>.proxy.host / proxy.port (or proxy.url).',
  },
  {
    code: 'SMTP_CONNECT_FAILED',
    matches: isCode('ECONNECTION', 'ESOCKET', 'EDNS'),
    transient: true,
    what: 'the connection failed',
    hint: 'Check mail.<protocol>.host and mail.<protocol>.port and that the server is reachable.',
  },
  {
    code: 'SMTP_INVALID_MESSAGE',
    matches: isCode('EENVELOPE', 'EMESSAGE', 'ESTREAM', 'EMAXRECIPIENTS', 'EFILEACCESS', 'EURLACCESS'),
    transient: false,
    what: 'the message could not be sent as given',
    hint: 'Check the message: a sender (from, or mail.<protocol>.from), at least one recipient, readable attachments.',
  },
];

/**
 * The Kalisto error for anything a send or a verify threw. Kalisto errors and aborts pass through;
 * a token failure comes back as the TokenError it was.
 */
export function smtpError(error: unknown, context: SmtpFailureContext): unknown {
  const tokenFailure = tokenFailureOf(error);
  if (tokenFailure !== undefined) return tokenFailure;
  if (isKalistoError(error) || (error instanceof Error && error.name === 'AbortError')) return error;
  const failure = (
    typeof error === 'object' && error !== null ? error : { message: error }
  ) as NodemailerFailure;
  const { settings } = context;
  const redactor = createRedactor([context.token?.accessToken]);
  const cause = error instanceof Error ? error : undefined;
  const where = { protocol: settings.protocol, host: settings.host, port: settings.port };

  if (failure.code !== 'ETLS' && typeof failure.response === 'string' && /^\d{3}\b/.test(failure.response)) {
    return fromServerReply(failure, redactor.text(failure.response), context, cause);
  }
  const rule = SMTP_LOCAL_FAILURES.find((r) => r.matches(failure));
  const detail = redactor.text(scrubTokenLike(String(failure.message ?? 'unknown failure')));
  const code = rule?.code ?? 'CONNECTION_FAILED';
  const what = rule?.what ?? 'the SMTP conversation failed';
  const hint = (rule?.hint ?? 'See the cause.').replaceAll('<protocol>', settings.protocol);
  return new ConnectionError(
    `[protocol:${settings.protocol}] ${settings.host}:${settings.port}: ${what} (${detail}). ${hint}`,
    { ...where, code, hint, transient: rule?.transient ?? true, cause },
  );
}

function fromServerReply(
  failure: NodemailerFailure,
  response: string,
  context: SmtpFailureContext,
  cause: Error | undefined,
): KalistoError {
  const { settings, config, token } = context;
  const claims = token === undefined ? undefined : decodeTokenClaims(token.accessToken);
  const classified = classifyMailError({
    protocol: settings.protocol === 'smtps' ? 'smtps' : 'smtp',
    serverText: response,
    claims,
    mailbox: settings.user,
    tenant: config.oauth.tenant,
    cloud: config.oauth.cloud,
    duringAuthentication: failure.code === 'EAUTH' || String(failure.command ?? '').startsWith('AUTH'),
  });
  const message = `${classified.message.replace(/^\[smtp\]/, `[protocol:${settings.protocol}]`)} (${settings.host}:${settings.port})`;
  // By name, not instanceof: the application may have a second copy of @kalisto/core.
  if (classified.name === 'ConnectionError') {
    const retryAfterMs = (classified as ConnectionError).retryAfterMs;
    return new ConnectionError(message, {
      code: classified.code,
      hint: classified.hint,
      protocol: settings.protocol,
      host: settings.host,
      port: settings.port,
      transient: (classified as ConnectionError).transient,
      retryAfterMs,
      cause,
    });
  }
  const refusal = classified as AuthenticationError;
  return new AuthenticationError(message, {
    code: refusal.code,
    hint: refusal.hint,
    protocol: settings.protocol,
    serverText: refusal.serverText,
    claims: refusal.claims,
    findings: refusal.findings,
    transient: refusal.transient,
    retryAfterMs: refusal.retryAfterMs,
    cause,
  });
}
