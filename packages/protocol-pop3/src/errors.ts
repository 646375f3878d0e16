/**
 * The failures of a POP3 conversation as Kalisto errors: every one is a `ConnectionError` with a
 * stable code, the endpoint, and a message that says what to do. None quotes a command's
 * arguments, so no token or AUTH payload can reach a message.
 */
import { ConnectionError } from '@kalisto/core';
import { type ConnectionErrorOptions, isPlainTextReply, plainPortHint } from '@kalisto/core/plugin';

/** Where a connection goes, for error messages. */
export interface Pop3Endpoint {
  /** `pop3` or `pop3s` (or a custom protocol name). */
  protocol: string;
  host: string;
  port: number;
}

/** Options of {@link Pop3ReplyError}. */
export interface Pop3ReplyErrorOptions extends ConnectionErrorOptions {
  /** The command's verb, e.g. `RETR` (never its arguments). */
  command: string;
  /** The whole `-ERR` line as the server sent it. */
  serverText: string;
  /** The RFC 2449 response code without brackets, e.g. `IN-USE`, `SYS/TEMP`, `AUTH`. */
  responseCode?: string;
}

/** The server answered a command with `-ERR`. */
export class Pop3ReplyError extends ConnectionError {
  readonly command: string;
  readonly serverText: string;
  readonly responseCode: string | undefined;

  constructor(message: string, options: Pop3ReplyErrorOptions) {
    super(message, options);
    this.name = 'Pop3ReplyError';
    this.command = options.command;
    this.serverText = options.serverText;
    this.responseCode = options.responseCode;
  }
}

const where = (e: Pop3Endpoint) => `${e.host}:${e.port}`;
const label = (e: Pop3Endpoint) => `[${e.protocol}]`;
const fields = (e: Pop3Endpoint) => ({ protocol: e.protocol, host: e.host, port: e.port });

/** The server's bytes are not POP3: no `+OK`/`-ERR`, or a reply line beyond the bound. */
export function protocolError(endpoint: Pop3Endpoint, problem: string): ConnectionError {
  return new ConnectionError(
    `${label(endpoint)} ${where(endpoint)} broke the POP3 protocol: ${problem}. Check that mail.${endpoint.protocol}.host and .port point at a POP3 server (and .ssl.enable matches the port).`,
    {
      ...fields(endpoint),
      code: 'POP3_PROTOCOL_ERROR',
      transient: false,
      hint: `Check mail.${endpoint.protocol}.host, .port and .ssl.enable.`,
    },
  );
}

/** Which bound a reply went over: what it limits, and how to raise it. */
export type Pop3Bound = 'line' | 'response' | 'message';

/** Per bound: what went over it (with the limit), and what to do. */
const BOUNDS: Record<Pop3Bound, (limit: number, protocol: string) => { what: string; hint: string }> = {
  line: (limit, p) => ({
    what: `a reply line longer than ${limit} bytes (the maxLineLength option; RFC 2449 allows 512)`,
    hint: `No POP3 server sends such a line: check that mail.${p}.host and .port point at the POP3 server you mean.`,
  }),
  response: (limit, p) => ({
    what: `a reply (or a line of one) larger than ${limit} bytes (mail.${p}.maxResponseBytes)`,
    hint: `Check that mail.${p}.host and .port point at the POP3 server you mean; raise mail.${p}.maxResponseBytes only if that server is trusted and its listing really is that large.`,
  }),
  message: (limit) => ({
    what: `a message larger than ${limit} bytes, more than is held in memory (the maxMessageBytes option)`,
    hint: 'Read large messages with retr(), which streams them, or raise maxMessageBytes.',
  }),
};

/**
 * The server sent more than the client holds in memory: an endless listing, an endless line, a
 * message beyond `maxMessageBytes`. The connection is closed at the bound, never read on.
 */
export function responseTooLargeError(
  endpoint: Pop3Endpoint,
  bound: Pop3Bound,
  limit: number,
  command: string,
): ConnectionError {
  const { what, hint } = BOUNDS[bound](limit, endpoint.protocol);
  return new ConnectionError(
    `${label(endpoint)} ${where(endpoint)} sent ${what} in reply to ${command}; the connection was closed. ${hint}`,
    {
      ...fields(endpoint),
      code: bound === 'message' ? 'POP3_MESSAGE_TOO_LARGE' : 'POP3_RESPONSE_TOO_LARGE',
      transient: false,
      hint,
    },
  );
}

/** The connection (TCP, TLS, greeting, STLS) was not ready in time. */
export function connectTimeoutError(endpoint: Pop3Endpoint, timeoutMs: number): ConnectionError {
  const hint = `Check the network path to the server, or raise mail.${endpoint.protocol}.connectiontimeout.`;
  return new ConnectionError(
    `${label(endpoint)} ${where(endpoint)} did not complete the connection (TCP, TLS and greeting) within ${timeoutMs} ms. ${hint}`,
    { ...fields(endpoint), code: 'POP3_TIMEOUT', transient: true, hint },
  );
}

/** No reply in time. */
export function timeoutError(endpoint: Pop3Endpoint, command: string, timeoutMs: number): ConnectionError {
  const hint = `Check the network path to the server, or raise mail.${endpoint.protocol}.timeout.`;
  return new ConnectionError(
    `${label(endpoint)} ${where(endpoint)} sent nothing for ${timeoutMs} ms while the reply to ${command} was due. ${hint}`,
    { ...fields(endpoint), code: 'POP3_TIMEOUT', transient: true, hint },
  );
}

/** The connection ended while replies were still expected. */
export function closedError(endpoint: Pop3Endpoint, cause?: unknown): ConnectionError {
  const hint = `Open a new connection (session.store('${endpoint.protocol}') gets a fresh token); POP3 sessions are meant to be short.`;
  const reason = networkCode(cause);
  return new ConnectionError(
    `${label(endpoint)} ${where(endpoint)} closed the connection before replying${reason}. ${hint}`,
    { ...fields(endpoint), code: 'POP3_CONNECTION_CLOSED', transient: true, hint, cause },
  );
}

/** The client was closed (QUIT or close()) before this command. */
export function clientClosedError(endpoint: Pop3Endpoint): ConnectionError {
  const hint = `Open a new client with session.store('${endpoint.protocol}') or connectPop3().`;
  return new ConnectionError(`${label(endpoint)} This POP3 client is closed. ${hint}`, {
    ...fields(endpoint),
    code: 'POP3_CLIENT_CLOSED',
    transient: false,
    hint,
  });
}

/** TCP connect failed (refused, unreachable, DNS). */
export function connectError(endpoint: Pop3Endpoint, cause: unknown): ConnectionError {
  const hint = `Check mail.${endpoint.protocol}.host and .port and that the server is reachable.`;
  return new ConnectionError(
    `${label(endpoint)} Cannot connect to ${where(endpoint)}${networkCode(cause)}. ${hint}`,
    { ...fields(endpoint), code: 'POP3_CONNECT_FAILED', transient: true, hint, cause },
  );
}

/** The TLS handshake failed (untrusted certificate, wrong host name, version mismatch). */
export function tlsError(endpoint: Pop3Endpoint, cause: unknown): ConnectionError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  const hint = isPlainTextReply(cause)
    ? plainPortHint(endpoint.protocol)
    : `Trust the server's CA with kalisto.tls.ca, check mail.${endpoint.protocol}.ssl.protocols and that the certificate names the host.`;
  return new ConnectionError(`${label(endpoint)} TLS with ${where(endpoint)} failed${detail}. ${hint}`, {
    ...fields(endpoint),
    code: 'POP3_TLS_FAILED',
    transient: false,
    hint,
    cause,
  });
}

/** A plain connection to a server without STLS, and insecure authentication is not allowed. */
export function tlsRequiredError(endpoint: Pop3Endpoint): ConnectionError {
  const hint = `Use implicit TLS (mail.${endpoint.protocol}.ssl.enable=true, port 995), or set kalisto.auth.allowInsecure=true only for a trusted test server.`;
  return new ConnectionError(
    `${label(endpoint)} ${where(endpoint)} does not offer STLS, and tokens are never sent unencrypted. ${hint}`,
    { ...fields(endpoint), code: 'POP3_TLS_REQUIRED', transient: false, hint },
  );
}

/** None of the configured SASL mechanisms is offered by the server. */
export function mechanismError(
  endpoint: Pop3Endpoint,
  wanted: readonly string[],
  offered: readonly string[],
): ConnectionError {
  const hint = `Set mail.${endpoint.protocol}.sasl.mechanisms to one the server offers.`;
  return new ConnectionError(
    `${label(endpoint)} ${where(endpoint)} offers SASL ${offered.join(' ') || '(none)'} but the configuration allows only ${wanted.join(', ')}. ${hint}`,
    { ...fields(endpoint), code: 'POP3_MECHANISM_UNAVAILABLE', transient: false, hint },
  );
}

/** Only a network error's code (e.g. `ECONNREFUSED`) is shown: the rest is the OS's wording. */
function networkCode(cause: unknown): string {
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? ` (${code})` : '';
}

/** A parsed status line; see `parseStatusLine`. */
export interface Pop3StatusLine {
  /** `ok` for `+OK`, `err` for `-ERR`, `continue` for a SASL `+` continuation. */
  type: 'ok' | 'err' | 'continue';
  /** The text after `+OK `/`-ERR `/`+ `, response code included. */
  text: string;
  /** The RFC 2449 response code without brackets, e.g. `IN-USE`. */
  responseCode?: string;
}

const SESSION_INVALIDATED = /Session invalidated|AccessTokenExpired|TokenRevoked/i;
const TEMPORARY_CODES = new Set(['SYS/TEMP', 'IN-USE', 'LOGIN-DELAY']);

/** The error for a `-ERR` reply to a command other than AUTH. */
export function replyError(endpoint: Pop3Endpoint, command: string, status: Pop3StatusLine): Pop3ReplyError {
  const serverText = `-ERR ${status.text}`.trimEnd();
  const base = {
    ...fields(endpoint),
    command,
    serverText,
    ...(status.responseCode === undefined ? {} : { responseCode: status.responseCode }),
  };
  const quoted = JSON.stringify(serverText);
  if (SESSION_INVALIDATED.test(status.text)) {
    const hint = `Open a new session.store('${endpoint.protocol}'): it logs in with a fresh token. Keep POP3 sessions shorter than the token's lifetime.`;
    return new Pop3ReplyError(
      `${label(endpoint)} The server ended the session at ${command} (server: ${quoted}). ${hint}`,
      { ...base, code: 'POP3_SESSION_INVALIDATED', transient: true, hint },
    );
  }
  if (status.responseCode !== undefined && TEMPORARY_CODES.has(status.responseCode.toUpperCase())) {
    const hint = 'Retry later; close other POP3 sessions to this mailbox.';
    return new Pop3ReplyError(
      `${label(endpoint)} The server is temporarily unavailable or the mailbox is in use (${command}; server: ${quoted}). ${hint}`,
      { ...base, code: 'SERVER_UNAVAILABLE', transient: true, hint },
    );
  }
  if (command === 'STLS') {
    const p = endpoint.protocol;
    const hint = `Use implicit TLS instead (mail.${p}.ssl.enable=true and mail.${p}.port=995), or check that mail.${p}.port is the server's STLS port and mail.${p}.starttls.enable matches what the server offers.`;
    return new Pop3ReplyError(
      `${label(endpoint)} ${where(endpoint)} refused STLS (server: ${quoted}): the connection cannot be encrypted, so no token was sent. ${hint}`,
      { ...base, code: 'POP3_STARTTLS_REFUSED', transient: false, hint },
    );
  }
  if (command === GREETING) {
    const hint = `Read the server text, check mail.${endpoint.protocol}.host and .port, and retry later.`;
    return new Pop3ReplyError(
      `${label(endpoint)} ${where(endpoint)} refused the connection in its greeting (server: ${quoted}). ${hint}`,
      { ...base, code: 'POP3_COMMAND_FAILED', transient: false, hint },
    );
  }
  const hint = NUMBERED_COMMANDS.has(command)
    ? 'Read the server text: the message number may be wrong or already deleted.'
    : 'Read the server text.';
  return new Pop3ReplyError(`${label(endpoint)} ${command} failed (server: ${quoted}). ${hint}`, {
    ...base,
    code: 'POP3_COMMAND_FAILED',
    transient: false,
    hint,
  });
}

/** Commands that take a message number: only their `-ERR` may blame it. */
const NUMBERED_COMMANDS = new Set(['RETR', 'TOP', 'DELE', 'LIST', 'UIDL']);

/** The verb the greeting's reply is reported under. */
export const GREETING = 'the greeting';

/** The caller's AbortSignal ended the connection attempt. */
export function abortError(endpoint: Pop3Endpoint): ConnectionError {
  return new ConnectionError(`${label(endpoint)} Connecting to ${where(endpoint)} was aborted.`, {
    ...fields(endpoint),
    code: 'POP3_ABORTED',
    transient: false,
    hint: 'The caller cancelled the connection attempt.',
  });
}
