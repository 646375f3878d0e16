/**
 * What goes wrong between the relay and the mailbox server, as Kalisto errors with stable codes,
 * and the short reply a client gets for each (the hint stays in the relay's log). No message
 * quotes a command's arguments, so no token, SASL payload or password can reach one.
 */
import { ConnectionError, isKalistoError } from '@kalisto/core';

/** The mailbox server a listener logs in to, for messages. */
export interface UpstreamEndpoint {
  /** The listener kind, `imap` or `pop3`. */
  kind: string;
  /** The session's protocol, e.g. `imaps`. */
  protocol: string;
  host: string;
  port: number;
}

const where = (e: UpstreamEndpoint) => `${e.protocol} ${e.host}:${e.port}`;
const label = (e: UpstreamEndpoint) => `[relay:${e.kind}]`;
const fields = (e: UpstreamEndpoint) => ({ protocol: e.protocol, host: e.host, port: e.port });

/** Only a network error's code (e.g. `ECONNREFUSED`) is shown: the rest is the OS's wording. */
function networkCode(cause: unknown): string {
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? ` (${code})` : '';
}

/** TCP to the mailbox server failed. */
export function upstreamConnectError(endpoint: UpstreamEndpoint, cause: unknown): ConnectionError {
  const hint = `Check mail.${endpoint.protocol}.host and .port of the mailbox's session and that the server is reachable from the relay.`;
  return new ConnectionError(
    `${label(endpoint)} Cannot connect to ${where(endpoint)}${networkCode(cause)}. ${hint}`,
    { ...fields(endpoint), code: 'RELAY_UPSTREAM_CONNECT_FAILED', transient: true, hint, cause },
  );
}

/** The TLS handshake with the mailbox server failed (untrusted certificate, wrong name, old version). */
export function upstreamTlsError(endpoint: UpstreamEndpoint, cause: unknown): ConnectionError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  const hint = `Trust the server's CA with kalisto.tls.ca, check mail.${endpoint.protocol}.ssl.protocols and that the certificate names mail.${endpoint.protocol}.host.`;
  return new ConnectionError(`${label(endpoint)} TLS with ${where(endpoint)} failed${detail}. ${hint}`, {
    ...fields(endpoint),
    code: 'RELAY_UPSTREAM_TLS_FAILED',
    transient: false,
    hint,
    cause,
  });
}

/** The upstream login (TCP, TLS, greeting, STARTTLS, XOAUTH2) did not finish in time. */
export function upstreamTimeoutError(endpoint: UpstreamEndpoint, timeoutMs: number): ConnectionError {
  const hint = `Check the network path to the server, or raise mail.${endpoint.protocol}.connectiontimeout (or the listener's upstreamTimeoutMs).`;
  return new ConnectionError(
    `${label(endpoint)} The login to ${where(endpoint)} did not complete within ${timeoutMs} ms. ${hint}`,
    { ...fields(endpoint), code: 'RELAY_UPSTREAM_TIMEOUT', transient: true, hint },
  );
}

/** The mailbox server closed the connection during the login. */
export function upstreamClosedError(endpoint: UpstreamEndpoint, cause?: unknown): ConnectionError {
  const hint = 'Retry later; if it keeps happening, read the mailbox server’s log.';
  return new ConnectionError(
    `${label(endpoint)} ${where(endpoint)} closed the connection during the login${networkCode(cause)}. ${hint}`,
    { ...fields(endpoint), code: 'RELAY_UPSTREAM_CLOSED', transient: true, hint, cause },
  );
}

/** The server's bytes before login are not the protocol, or more than any server sends. */
export function upstreamProtocolError(endpoint: UpstreamEndpoint, problem: string): ConnectionError {
  const hint = `Check that mail.${endpoint.protocol}.host and .port point at the ${endpoint.kind.toUpperCase()} server (and .ssl.enable matches the port).`;
  return new ConnectionError(
    `${label(endpoint)} ${where(endpoint)} broke the protocol: ${problem}. ${hint}`,
    {
      ...fields(endpoint),
      code: 'RELAY_UPSTREAM_PROTOCOL_ERROR',
      transient: false,
      hint,
    },
  );
}

/** The connection to the mailbox server would stay unencrypted, and tokens are never sent in clear. */
export function upstreamTlsRequiredError(endpoint: UpstreamEndpoint): ConnectionError {
  const p = `mail.${endpoint.protocol}`;
  const hint = `Use implicit TLS (${p}.ssl.enable=true) or STARTTLS (${p}.starttls.enable=true) on a server that offers it; kalisto.auth.allowInsecure=true only for a trusted test server.`;
  return new ConnectionError(
    `${label(endpoint)} The connection to ${where(endpoint)} is not encrypted, and tokens are never sent in clear text. ${hint}`,
    { ...fields(endpoint), code: 'RELAY_UPSTREAM_TLS_REQUIRED', transient: false, hint },
  );
}

/** None of the configured OAuth2 mechanisms is offered by the server. */
export function upstreamMechanismError(
  endpoint: UpstreamEndpoint,
  wanted: readonly string[],
  offered: readonly string[],
): ConnectionError {
  const hint = `Set mail.${endpoint.protocol}.sasl.mechanisms to one the server offers (XOAUTH2 or OAUTHBEARER).`;
  return new ConnectionError(
    `${label(endpoint)} ${where(endpoint)} offers SASL ${offered.join(' ') || '(none)'} but the configuration allows only ${wanted.join(', ')}. ${hint}`,
    { ...fields(endpoint), code: 'RELAY_UPSTREAM_MECHANISM_UNAVAILABLE', transient: false, hint },
  );
}

/** What the client is told when the upstream login fails. */
export type UpstreamFailureReply = 'unavailable' | 'refused';

/**
 * `refused` when the mailbox server refused this mailbox's token for good (not granted, token
 * refused twice): trying again will not help. `unavailable` for everything that may pass or that the
 * relay's operator must fix: network, TLS, timeouts, throttling, the identity platform, configuration.
 */
export function upstreamFailureReply(error: unknown): UpstreamFailureReply {
  if (!isKalistoError(error) || error.name !== 'AuthenticationError') return 'unavailable';
  return (error as { transient?: unknown }).transient === true ? 'unavailable' : 'refused';
}
