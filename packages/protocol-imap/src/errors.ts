/**
 * Kalisto errors for what goes wrong opening an IMAP session: the server's refusal of the token
 * (classified by @kalisto/core with the token's claims) and the transport's failures. No message
 * quotes a command's arguments, so neither the token nor the SASL payload can reach one.
 */
import { type AuthenticationError, type CloudName, ConnectionError, decodeTokenClaims } from '@kalisto/core';
import {
  classifyMailError,
  isPlainTextReply,
  plainPortHint,
  type SaslErrorChallenge,
} from '@kalisto/core/plugin';
import type { LimitExceeded } from './response-guard.js';

/** Where a connection goes, for messages. */
export interface ImapEndpoint {
  /** `imap` or `imaps` (or a custom protocol name). */
  protocol: string;
  host: string;
  port: number;
}

/** What the login was for, to explain a refusal. */
export interface ImapLoginContext extends ImapEndpoint {
  /** The mailbox (SASL user). */
  user: string;
  /** The refused access token; only its decoded claims are kept. */
  accessToken: string;
  tenant?: string;
  cloud?: CloudName;
}

/** The fields ImapFlow puts on its errors (see imapflow's `ImapFlowError`). */
interface ImapFlowFailure {
  code?: unknown;
  authenticationFailed?: unknown;
  tlsFailed?: unknown;
  responseText?: unknown;
  response?: unknown;
  responseStatus?: unknown;
  serverResponseCode?: unknown;
  oauthError?: unknown;
  reason?: unknown;
}

const label = (e: ImapEndpoint) => `[${e.protocol}]`;
const where = (e: ImapEndpoint) => `${e.host}:${e.port}`;
const fields = (e: ImapEndpoint) => ({ protocol: e.protocol, host: e.host, port: e.port });

const TLS_CODES = /^(?:ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_OSSL_)/;
const TIMEOUT_CODES = new Set([
  'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT',
  'UPGRADE_TIMEOUT',
  'ETIMEOUT',
  'ETIMEDOUT',
]);

/**
 * The Kalisto error for a failed `connect()`: an `AuthenticationError` (or throttling
 * `ConnectionError`) classified from the server's reply when the server refused the login, else a
 * `ConnectionError` for TLS, timeouts and the network. Anything unrecognised is returned as is, for
 * `defineProtocolProvider` to wrap as `CONNECTION_FAILED`.
 */
export function imapLoginError(error: unknown, login: ImapLoginContext): unknown {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as ImapFlowFailure;
  const code = typeof failure.code === 'string' ? failure.code : undefined;
  if (failure.authenticationFailed === true) return refusalError(failure, login);
  if (failure.tlsFailed === true || (code !== undefined && TLS_CODES.test(code)))
    return tlsError(login, error);
  if (code !== undefined && TIMEOUT_CODES.has(code)) return timeoutError(login, code, error);
  if (code === 'NoConnection' && typeof failure.reason === 'string') {
    // The server said BYE during login (e.g. throttling, or a shutting-down server).
    return classifyMailError({ protocol: protocolOf(login), serverText: `BYE ${failure.reason}` });
  }
  return error;
}

function refusalError(
  failure: ImapFlowFailure,
  login: ImapLoginContext,
): AuthenticationError | ConnectionError {
  const text = [failure.responseText, failure.response].find((t) => typeof t === 'string' && t !== '');
  const status = typeof failure.responseStatus === 'string' ? `${failure.responseStatus} ` : '';
  const serverText = typeof text === 'string' ? `${status}${text}` : 'AUTHENTICATE failed.';
  const claims = decodeTokenClaims(login.accessToken);
  return classifyMailError({
    protocol: protocolOf(login),
    serverText,
    ...(typeof failure.serverResponseCode === 'string' ? { responseCode: failure.serverResponseCode } : {}),
    ...(claims === undefined ? {} : { claims }),
    ...(isChallenge(failure.oauthError) ? { challenge: failure.oauthError } : {}),
    mailbox: login.user,
    ...(login.tenant === undefined ? {} : { tenant: login.tenant }),
    ...(login.cloud === undefined ? {} : { cloud: login.cloud }),
    duringAuthentication: true,
  });
}

function protocolOf(endpoint: ImapEndpoint): 'imap' | 'imaps' {
  return endpoint.protocol === 'imaps' ? 'imaps' : 'imap';
}

function isChallenge(value: unknown): value is SaslErrorChallenge {
  return (
    typeof value === 'object' && value !== null && typeof (value as { status?: unknown }).status === 'string'
  );
}

/** The TLS handshake (implicit or STARTTLS) failed: untrusted certificate, wrong name, old version. */
export function tlsError(endpoint: ImapEndpoint, cause: unknown): ConnectionError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  const hint = isPlainTextReply(cause)
    ? plainPortHint(endpoint.protocol)
    : `Trust the server's CA with kalisto.tls.ca, check mail.${endpoint.protocol}.ssl.protocols and that the certificate names the host (mail.${endpoint.protocol}.host).`;
  return new ConnectionError(`${label(endpoint)} TLS with ${where(endpoint)} failed${detail}. ${hint}`, {
    ...fields(endpoint),
    code: 'IMAP_TLS_FAILED',
    transient: false,
    hint,
    cause,
  });
}

/** No connection, greeting or TLS upgrade in time. */
export function timeoutError(endpoint: ImapEndpoint, code: string, cause: unknown): ConnectionError {
  const property = code === 'ETIMEOUT' || code === 'ETIMEDOUT' ? 'timeout' : 'connectiontimeout';
  const hint = `Check the network path to the server (and mail.${endpoint.protocol}.proxy.*), or raise mail.${endpoint.protocol}.${property}.`;
  return new ConnectionError(`${label(endpoint)} ${where(endpoint)} timed out (${code}). ${hint}`, {
    ...fields(endpoint),
    code: 'IMAP_TIMEOUT',
    transient: true,
    hint,
    cause,
  });
}

/** A plain connection where the server offered no STARTTLS, and insecure authentication is off. */
export function tlsRequiredError(endpoint: ImapEndpoint): ConnectionError {
  const hint = `Use implicit TLS (mail.${endpoint.protocol}.ssl.enable=true, port 993) or STARTTLS (mail.${endpoint.protocol}.starttls.enable=true); kalisto.auth.allowInsecure=true only for a trusted test server.`;
  return new ConnectionError(
    `${label(endpoint)} The connection to ${where(endpoint)} is not encrypted, and tokens are never sent in clear text. ${hint}`,
    { ...fields(endpoint), code: 'IMAP_TLS_REQUIRED', transient: false, hint },
  );
}

/** None of the configured SASL mechanisms is advertised by the server. */
export function mechanismUnavailableError(
  endpoint: ImapEndpoint,
  wanted: readonly string[],
  offered: readonly string[],
): ConnectionError {
  const hint = `Set mail.${endpoint.protocol}.sasl.mechanisms to one the server offers (XOAUTH2 or OAUTHBEARER).`;
  return new ConnectionError(
    `${label(endpoint)} ${where(endpoint)} offers SASL ${offered.join(' ') || '(none)'} but the configuration allows only ${wanted.join(', ')}. ${hint}`,
    { ...fields(endpoint), code: 'IMAP_MECHANISM_UNAVAILABLE', transient: false, hint },
  );
}

/** A {@link ConnectionError} for a response over a bound, with the figures of the bound. */
export type ResponseTooLargeError = ConnectionError & {
  readonly limit: number;
  readonly received: number;
  readonly announced?: number;
};

/**
 * The server sent more than the client holds: before login more than the fixed budget, after it a
 * response (or a folder listing) over `mail.<p>.maxResponseBytes`, or a message body literal over
 * the body bound. The connection is closed at the bound, never read on.
 */
export function responseTooLargeError(
  endpoint: ImapEndpoint,
  exceeded: LimitExceeded,
): ResponseTooLargeError {
  const p = `mail.${endpoint.protocol}`;
  const { bound, limit, received, announced } = exceeded;
  const size =
    announced !== undefined && Number.isFinite(announced) ? `${announced} bytes` : 'an impossible size';
  const literal = announced === undefined ? '' : ` (it announced a literal of ${size})`;
  const what = {
    'pre-auth': `more than ${limit} bytes before login${literal}: greeting, CAPABILITY, STARTTLS and AUTHENTICATE replies never come near that (a fixed bound; ${p}.maxResponseBytes applies after login)`,
    response: `a response larger than ${limit} bytes (${p}.maxResponseBytes)${literal}`,
    body: `a message body literal of ${size}, more than the ${limit} bytes ImapFlow can hold`,
  }[bound];
  const fix =
    bound === 'response'
      ? `raise ${p}.maxResponseBytes only if the server is trusted and the response really is that large (message bodies are not counted)`
      : 'no IMAP server Kalisto talks to sends that';
  const hint = `Check that ${p}.host and ${p}.port point at the IMAP server you trust; ${fix}.`;
  const error = new ConnectionError(
    `${label(endpoint)} ${where(endpoint)} sent ${what}; the connection was closed. ${hint}`,
    { ...fields(endpoint), code: 'IMAP_RESPONSE_TOO_LARGE', transient: false, hint },
  );
  return Object.assign(error, { limit, received, ...(announced === undefined ? {} : { announced }) });
}

/**
 * The server closed the connection while a command waited for its answer, without a BYE: cut off in
 * the middle of a response, or before the answer began. Worth a retry on a new connection.
 */
export function connectionClosedError(
  endpoint: ImapEndpoint,
  closed: { command?: string; midResponse: boolean },
  cause: unknown,
): ConnectionError {
  const command =
    closed.command !== undefined && /^[A-Z][A-Z ]*$/i.test(closed.command) ? closed.command : '';
  const what = closed.midResponse
    ? `closed the connection in the middle of a response${command ? ` to ${command}` : ''}`
    : `closed the connection before answering ${command || 'the command'}`;
  const hint = `Retry on a new connection; if it keeps happening, check the server's logs and any proxy or firewall in between (mail.${endpoint.protocol}.proxy.*, mail.${endpoint.protocol}.timeout).`;
  return new ConnectionError(`${label(endpoint)} ${where(endpoint)} ${what}, without a BYE. ${hint}`, {
    ...fields(endpoint),
    code: 'IMAP_CONNECTION_CLOSED',
    transient: true,
    hint,
    cause,
  });
}
