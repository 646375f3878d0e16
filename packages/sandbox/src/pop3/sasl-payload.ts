/**
 * Decoding of the client's SASL XOAUTH2 and OAUTHBEARER (RFC 7628) responses, as the servers
 * receive them: base64 text. Malformed input yields `undefined`, never an exception.
 */

/** The identity and bearer token a SASL response carries. */
export interface SaslBearerCredentials {
  /** `user=` of XOAUTH2, the `a=` authzid of OAUTHBEARER (may be empty for OAUTHBEARER). */
  user: string;
  token: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed.length === 0 || trimmed.length % 4 !== 0 || !BASE64.test(trimmed)) return undefined;
  return Buffer.from(trimmed, 'base64').toString('utf8');
}

function bearerToken(auth: string): string | undefined {
  const match = /^Bearer +(\S+)$/i.exec(auth);
  return match?.[1];
}

/** Splits `key=value` fields separated by ^A (the empty fields of the final ^A^A are skipped). */
function fields(parts: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq > 0) map.set(part.slice(0, eq).toLowerCase(), part.slice(eq + 1));
  }
  return map;
}

/** Decodes `base64("user=U^Aauth=Bearer T^A^A")`. */
export function decodeXOAuth2Response(base64: string): SaslBearerCredentials | undefined {
  const text = decodeBase64(base64);
  if (text === undefined) return undefined;
  const map = fields(text.split('\x01'));
  const user = map.get('user');
  const token = bearerToken(map.get('auth') ?? '');
  if (!user || !token) return undefined;
  return { user, token };
}

/** Decodes `base64("n,a=U,^Ahost=H^Aport=P^Aauth=Bearer T^A^A")` (RFC 7628 section 3.1). */
export function decodeOAuthBearerResponse(base64: string): SaslBearerCredentials | undefined {
  const text = decodeBase64(base64);
  if (text === undefined) return undefined;
  const [gs2, ...rest] = text.split('\x01');
  // gs2-header: cbind flag ("n" or "y"; "p=" is not allowed for OAUTHBEARER), authzid, empty.
  const header = /^[ny],(?:a=([^,]*))?,$/.exec(gs2 ?? '');
  if (!header) return undefined;
  const token = bearerToken(fields(rest).get('auth') ?? '');
  if (!token) return undefined;
  // RFC 5801 saslname escaping: "=2C" is ",", "=3D" is "=".
  const user = (header[1] ?? '').replace(/=2C/gi, ',').replace(/=3D/gi, '=');
  return { user, token };
}

/** The RFC 7628 error challenge a server sends before its final failure reply. */
export function oauthBearerErrorChallenge(scope: string): string {
  return Buffer.from(JSON.stringify({ status: 'invalid_token', scope })).toString('base64');
}
