/**
 * SASL XOAUTH2 (Google/Microsoft) and OAUTHBEARER (RFC 7628) payloads, for both sides of the wire:
 * our IMAP/POP3/SMTP clients encode them, the sandbox's servers parse them. Pure functions only.
 */
import { KalistoError } from './errors.js';

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

/** A parsed `AUTHENTICATE`/`AUTH` command line, as a server sees it. */
export interface ParsedSaslAuthCommand {
  /** The IMAP tag (absent for POP3 and SMTP). */
  tag?: string;
  /** The mechanism, upper-case, e.g. `XOAUTH2`. */
  mechanism: string;
  /**
   * The base64 initial response given on the command line: `''` for RFC 4959's `=` (empty response),
   * absent when the client waits for a `+` continuation.
   */
  initialResponse?: string;
}

const KVSEP = '\x01';
const CONTROL_CHARACTERS = /[\x00-\x1f\x7f]/;
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BEARER = /^bearer (.+)$/is;
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

/** The initial response for either mechanism. */
export function saslInitialResponse(mechanism: SaslMechanism, credentials: OAuthBearerCredentials): string {
  return mechanism === 'XOAUTH2'
    ? xoauth2InitialResponse(credentials)
    : oauthBearerInitialResponse(credentials);
}

/**
 * Server side: parses a base64 XOAUTH2 response. Throws a KalistoError `SASL_MALFORMED` (whose message
 * never contains the payload) for anything that is not `user=U\x01auth=Bearer T\x01\x01`.
 */
export function parseXOAuth2Response(base64: string): XOAuth2Credentials {
  const text = decodeBase64('XOAUTH2', base64);
  if (!text.endsWith(KVSEP + KVSEP)) throw malformed('XOAUTH2', 'it must end with two \\x01 separators');
  const pairs = parsePairs('XOAUTH2', text.slice(0, -2).split(KVSEP));
  const user = pairs.get('user');
  if (!user) throw malformed('XOAUTH2', 'the user key is missing or empty');
  return { user: checkParsed('XOAUTH2', 'user', user), accessToken: bearerToken('XOAUTH2', pairs) };
}

/**
 * Server side: parses a base64 OAUTHBEARER response (RFC 7628). Kalisto requires the GS2 authzid
 * (`a=`): mail servers authorise the mailbox it names. Channel binding (`p=`) is refused, as RFC 7628
 * defines none. Throws a KalistoError `SASL_MALFORMED` on malformed input.
 */
export function parseOAuthBearerResponse(base64: string): OAuthBearerCredentials {
  const text = decodeBase64('OAUTHBEARER', base64);
  const headerEnd = text.indexOf(KVSEP);
  if (headerEnd < 0 || !text.endsWith(KVSEP + KVSEP) || text.length < headerEnd + 2) {
    throw malformed('OAUTHBEARER', 'it must be a GS2 header and key/value pairs ending with two \\x01');
  }
  const user = parseGs2Header(text.slice(0, headerEnd));
  const body = text.slice(headerEnd + 1, -2);
  const pairs = parsePairs('OAUTHBEARER', body === '' ? [] : body.split(KVSEP));
  const result: OAuthBearerCredentials = { user, accessToken: bearerToken('OAUTHBEARER', pairs) };
  const host = pairs.get('host');
  if (host !== undefined) result.host = checkParsed('OAUTHBEARER', 'host', host);
  const port = pairs.get('port');
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
      throw malformed('OAUTHBEARER', 'the port key is not a port number');
    }
    result.port = Number(port);
  }
  return result;
}

/** Server side: parses the response of either mechanism. */
export function parseSaslResponse(mechanism: SaslMechanism, base64: string): OAuthBearerCredentials {
  return mechanism === 'XOAUTH2' ? parseXOAuth2Response(base64) : parseOAuthBearerResponse(base64);
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
 * Server side: parses an `AUTHENTICATE` (IMAP, tagged) or `AUTH` (POP3, SMTP) command line; undefined
 * when the line is not one.
 */
export function parseSaslAuthCommand(
  protocol: SaslProtocol,
  line: string,
): ParsedSaslAuthCommand | undefined {
  const words = line.trim().split(/ +/);
  const tag = protocol === 'imap' ? words.shift() : undefined;
  const [verb, mechanism, initialResponse, ...rest] = words;
  const expected = protocol === 'imap' ? 'AUTHENTICATE' : 'AUTH';
  if (verb?.toUpperCase() !== expected || !mechanism || rest.length > 0) return undefined;
  const parsed: ParsedSaslAuthCommand = { mechanism: mechanism.toUpperCase() };
  if (tag !== undefined) parsed.tag = tag;
  if (initialResponse !== undefined) parsed.initialResponse = initialResponse === '=' ? '' : initialResponse;
  return parsed;
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

/** Server side: the base64 error challenge to send after refusing a token (the inverse of the parser). */
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

function malformed(mechanism: SaslMechanism, problem: string): KalistoError {
  return new KalistoError(`[sasl] Malformed ${mechanism} response: ${problem}.`, {
    code: 'SASL_MALFORMED',
    hint: `The client sent a payload that is not a valid ${mechanism} initial response.`,
  });
}

function toBase64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function decodeBase64(mechanism: SaslMechanism, base64: unknown): string {
  const trimmed = typeof base64 === 'string' ? base64.trim() : '';
  if (trimmed === '' || !STRICT_BASE64.test(trimmed)) throw malformed(mechanism, 'it is not base64');
  try {
    return UTF8.decode(Buffer.from(trimmed, 'base64'));
  } catch {
    throw malformed(mechanism, 'it is not UTF-8');
  }
}

function parsePairs(mechanism: SaslMechanism, items: readonly string[]): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = item.slice(0, eq);
    if (eq < 1 || !/^[A-Za-z]+$/.test(key)) throw malformed(mechanism, 'a key/value pair is not key=value');
    if (pairs.has(key)) throw malformed(mechanism, `the ${key} key appears twice`);
    pairs.set(key, item.slice(eq + 1));
  }
  return pairs;
}

function bearerToken(mechanism: SaslMechanism, pairs: Map<string, string>): string {
  const match = BEARER.exec(pairs.get('auth') ?? '');
  if (!match?.[1]) throw malformed(mechanism, 'the auth key is missing or not "Bearer <token>"');
  if (CONTROL_CHARACTERS.test(match[1])) throw malformed(mechanism, 'the token contains a control character');
  return match[1];
}

function checkParsed(mechanism: SaslMechanism, key: string, value: string): string {
  if (value === '') throw malformed(mechanism, `the ${key} is empty`);
  if (CONTROL_CHARACTERS.test(value)) throw malformed(mechanism, `the ${key} contains a control character`);
  return value;
}

function parseGs2Header(header: string): string {
  const parts = header.split(',');
  if (parts.length !== 3 || parts[2] !== '')
    throw malformed('OAUTHBEARER', 'the GS2 header is not "n,a=user,"');
  const [flag, authzid] = parts as [string, string, string];
  if (flag !== 'n' && flag !== 'y') throw malformed('OAUTHBEARER', 'channel binding is not supported');
  if (!authzid.startsWith('a=')) throw malformed('OAUTHBEARER', 'the GS2 header names no user (a=)');
  return checkParsed('OAUTHBEARER', 'user', unescapeSaslName(authzid.slice(2)));
}

/** RFC 5801 saslname: `,` → `=2C`, `=` → `=3D`. */
function escapeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function unescapeSaslName(name: string): string {
  if (/=(?!2C|3D)/i.test(name)) throw malformed('OAUTHBEARER', 'the user has a bad =XX escape');
  return name.replace(/=2C/gi, ',').replace(/=3D/gi, '=');
}
