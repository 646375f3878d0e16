/**
 * The server side of SASL XOAUTH2 and OAUTHBEARER (RFC 7628): what the sandbox's IMAP, POP3 and SMTP
 * servers parse. The client side (the encoders our protocol packages use, and the error challenge
 * both sides share) is `@kalisto/core/plugin`'s. Pure functions only.
 */
import { KalistoError } from '@kalisto/core';
import type {
  OAuthBearerCredentials,
  SaslMechanism,
  SaslProtocol,
  XOAuth2Credentials,
} from '@kalisto/core/plugin';

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

/**
 * Parses a base64 XOAUTH2 response. Throws a KalistoError `SASL_MALFORMED` (whose message never
 * contains the payload) for anything that is not `user=U\x01auth=Bearer T\x01\x01`.
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
 * Parses a base64 OAUTHBEARER response (RFC 7628). Kalisto requires the GS2 authzid (`a=`): mail
 * servers authorise the mailbox it names. Channel binding (`p=`) is refused, as RFC 7628 defines
 * none. Throws a KalistoError `SASL_MALFORMED` on malformed input.
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

/** Parses the response of either mechanism. */
export function parseSaslResponse(mechanism: SaslMechanism, base64: string): OAuthBearerCredentials {
  return mechanism === 'XOAUTH2' ? parseXOAuth2Response(base64) : parseOAuthBearerResponse(base64);
}

/**
 * Parses an `AUTHENTICATE` (IMAP, tagged) or `AUTH` (POP3, SMTP) command line; undefined when the
 * line is not one.
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

function malformed(mechanism: SaslMechanism, problem: string): KalistoError {
  return new KalistoError(`[sasl] Malformed ${mechanism} response: ${problem}.`, {
    code: 'SASL_MALFORMED',
    hint: `The client sent a payload that is not a valid ${mechanism} initial response.`,
  });
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

/** RFC 5801 saslname, the inverse of the client's escaping: `=2C` → `,`, `=3D` → `=`. */
function unescapeSaslName(name: string): string {
  if (/=(?!2C|3D)/i.test(name)) throw malformed('OAUTHBEARER', 'the user has a bad =XX escape');
  return name.replace(/=2C/gi, ',').replace(/=3D/gi, '=');
}
