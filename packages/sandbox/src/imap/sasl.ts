/**
 * Decoding of the OAuth SASL initial responses: XOAUTH2 (`user=U^Aauth=Bearer T^A^A`) and
 * OAUTHBEARER (RFC 7628: `n,a=U,^Ahost=..^Aport=..^Aauth=Bearer T^A^A`).
 */

export interface OAuthSaslResponse {
  user: string;
  token: string;
}

function fields(decoded: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const field of decoded.split('\x01')) {
    const eq = field.indexOf('=');
    if (eq > 0) map.set(field.slice(0, eq).toLowerCase(), field.slice(eq + 1));
  }
  return map;
}

function bearer(value: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(value ?? '');
  return match?.[1];
}

function decodeBase64(payload: string): string | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(payload) || payload.length === 0) return undefined;
  return Buffer.from(payload, 'base64').toString('utf8');
}

/** Returns undefined when the payload is not a well-formed XOAUTH2 response. */
export function decodeXOAuth2(payload: string): OAuthSaslResponse | undefined {
  const decoded = decodeBase64(payload);
  if (decoded === undefined || !decoded.endsWith('\x01\x01')) return undefined;
  const map = fields(decoded);
  const user = map.get('user');
  const token = bearer(map.get('auth'));
  return user && token ? { user, token } : undefined;
}

/** Returns undefined when the payload is not a well-formed OAUTHBEARER response. */
export function decodeOAuthBearer(payload: string): OAuthSaslResponse | undefined {
  const decoded = decodeBase64(payload);
  if (decoded === undefined || !decoded.endsWith('\x01\x01')) return undefined;
  const [gs2 = '', ...rest] = decoded.split('\x01');
  const authzid = /^[ny],(?:a=([^,]*))?,$/.exec(gs2);
  if (!authzid) return undefined;
  const user = (authzid[1] ?? '').replace(/=2C/g, ',').replace(/=3D/g, '=');
  const token = bearer(fields(rest.join('\x01')).get('auth'));
  return token ? { user, token } : undefined;
}

/** The `+` challenge Exchange and Gmail send before refusing an XOAUTH2/OAUTHBEARER token. */
export function oauthErrorChallenge(scope: string): string {
  return Buffer.from(JSON.stringify({ status: '401', schemes: 'bearer', scope })).toString('base64');
}
