/**
 * SASL XOAUTH2 (Google/Microsoft) and OAUTHBEARER (RFC 7628) payloads as our IMAP/POP3/SMTP clients
 * send them, and the error challenge a server answers a refused token with (read by clients, written
 * by the sandbox). Parsing what clients send is the sandbox's (`@kalisto/sandbox`). Pure functions only.
 */
import { KalistoError } from '../errors/errors.js';

/** The two OAuth2 SASL mechanisms. Exchange Online advertises only XOAUTH2. */
export type SaslMechanism = 'XOAUTH2' | 'OAUTHBEARER';

/** The mail protocols whose AUTH commands these helpers build. */
export type SaslProtocol = 'imap' | 'pop3' | 'smtp';

export interface XOAuth2Credentials {
  /** The mailbox to log in to (for a shared mailbox: the shared address). */
  user: string;
  /** The OAuth2 access token (for a shared mailbox: the delegate's token). */
  accessToken: string;
}

export interface OAuthBearerCredentials extends XOAuth2Credentials {
  /** The server's host name, sent as RFC 7628's `host` key. */
  host?: string;
  /** The server's port, sent as RFC 7628's `port` key. */
  port?: number;
}

/** What a server sends (base64 JSON) in the `+` continuation after refusing a token. */
export interface SaslErrorChallenge {
  /** HTTP-style status, e.g. `401` (invalid token) or `400`. */
  status: string;
  /** The schemes the server accepts, e.g. `bearer`. */
  schemes?: string;
  /** The scope a token needs, e.g. `https://outlook.office.com/IMAP.AccessAsUser.All`. */
  scope?: string;
  /** RFC 7628's discovery URL, when the server sends one. */
  openidConfiguration?: string;
}

/** The lines a client sends to authenticate; neither includes CRLF nor, for IMAP, the tag. */
export interface SaslAuthExchange {
  /** The first line, e.g. `AUTHENTICATE XOAUTH2 dXNlcj0…` or `AUTH XOAUTH2`. */
  command: string;
  /** The payload to send after the server's `+` continuation; absent in the one-line (SASL-IR) form. */
  continuation?: string;
}

const KVSEP = '\x01';
const CONTROL_CHARACTERS = /[\x00-\x1f\x7f]/;
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The base64 XOAUTH2 initial response: `user=U\x01auth=Bearer T\x01\x01`. */
export function xoauth2InitialResponse(credentials: XOAuth2Credentials): string {
  const user = requireValue('user', credentials.user, true);
  const token = requireValue('accessToken', credentials.accessToken, false);
  return toBase64(`user=${user}${KVSEP}auth=Bearer ${token}${KVSEP}${KVSEP}`);
}

/**
 * The base64 OAUTHBEARER initial response (RFC 7628): the GS2 header `n,a=U,` (with `,` and `=` in
 * the user escaped as `=2C` and `=3D`), then `host`, `port` and `auth` key/value pairs.
 */
export function oauthBearerInitialResponse(credentials: OAuthBearerCredentials): string {
  const user = requireValue('user', credentials.user, true);
  const token = requireValue('accessToken', credentials.accessToken, false);
  const pairs: string[] = [];
  if (credentials.host !== undefined) pairs.push(`host=${requireValue('host', credentials.host, true)}`);
  if (credentials.port !== undefined) pairs.push(`port=${requirePort(credentials.port)}`);
  pairs.push(`auth=Bearer ${token}`);
  return toBase64(`n,a=${escapeSaslName(user)},${KVSEP}${pairs.join(KVSEP)}${KVSEP}${KVSEP}`);
}

/**
 * The client's lines for one SASL exchange. `inline` is the one-line SASL-IR form
 * (`AUTHENTICATE XOAUTH2 <b64>` / `AUTH XOAUTH2 <b64>`); `continuation` sends the command alone and
 * the payload after the server's `+`. The default is `continuation` for POP3 (Exchange refuses the
 * one-line form there) and `inline` for IMAP and SMTP. IMAP clients prefix their own tag.
 */
export function saslAuthCommand(options: {
  protocol: SaslProtocol;
  mechanism: SaslMechanism;
  /** The base64 initial response (from `xoauth2InitialResponse`/`oauthBearerInitialResponse`). */
  initialResponse: string;
  /** `inline` (SASL-IR) or `continuation` (two lines). */
  form?: 'inline' | 'continuation';
}): SaslAuthExchange {
  const verb = options.protocol === 'imap' ? 'AUTHENTICATE' : 'AUTH';
  const form = options.form ?? (options.protocol === 'pop3' ? 'continuation' : 'inline');
  const command = `${verb} ${options.mechanism}`;
  if (form === 'continuation') return { command, continuation: options.initialResponse };
  // RFC 4959 and RFC 4954 spell an empty initial response as "=".
  return { command: `${command} ${options.initialResponse === '' ? '=' : options.initialResponse}` };
}

/**
 * The client's answer to an error challenge, which lets the server finish with its failure reply:
 * an empty line for XOAUTH2, base64 `\x01` for OAUTHBEARER (RFC 7628 §3.2.3).
 */
export function saslErrorAcknowledgement(mechanism: SaslMechanism): string {
  return mechanism === 'XOAUTH2' ? '' : toBase64(KVSEP);
}

/**
 * Reads the base64 JSON a server sends in the `+` continuation after refusing a token, e.g.
 * `{"status":"401","schemes":"bearer","scope":"…"}`; undefined when it is not such JSON.
 */
export function parseSaslErrorChallenge(base64: string): SaslErrorChallenge | undefined {
  const trimmed = base64.trim();
  if (!STRICT_BASE64.test(trimmed) || trimmed === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(UTF8.decode(Buffer.from(trimmed, 'base64')));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const status = typeof record.status === 'number' ? String(record.status) : record.status;
  if (typeof status !== 'string') return undefined;
  const challenge: SaslErrorChallenge = { status };
  if (typeof record.schemes === 'string') challenge.schemes = record.schemes;
  if (typeof record.scope === 'string') challenge.scope = record.scope;
  if (typeof record['openid-configuration'] === 'string') {
    challenge.openidConfiguration = record['openid-configuration'];
  }
  return challenge;
}

/** The base64 error challenge a server sends after refusing a token (the inverse of the parser). */
export function encodeSaslErrorChallenge(challenge: SaslErrorChallenge): string {
  const { openidConfiguration, ...rest } = challenge;
  const json =
    openidConfiguration === undefined ? rest : { ...rest, 'openid-configuration': openidConfiguration };
  return toBase64(JSON.stringify(json));
}

function requireValue(argument: string, value: unknown, echo: boolean): string {
  if (typeof value !== 'string' || value === '') {
    throw invalidInput(`${argument} is empty`, argument);
  }
  if (CONTROL_CHARACTERS.test(value)) {
    const shown = echo ? ` (${JSON.stringify(value)})` : '';
    throw invalidInput(`${argument}${shown} contains a control character`, argument);
  }
  return value;
}

function requirePort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalidInput(`port ${port} is not a port number (1-65535)`, 'port');
  }
  return port;
}

function invalidInput(problem: string, argument: string): KalistoError {
  return new KalistoError(`[sasl] Cannot build the SASL response: ${problem}.`, {
    code: 'SASL_INVALID_INPUT',
    hint: `Pass a non-empty ${argument} without control characters.`,
  });
}

function toBase64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** RFC 5801 saslname: `,` → `=2C`, `=` → `=3D`. */
function escapeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}
