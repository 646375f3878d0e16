/** A successful token endpoint reply, normalised. */
export interface TokenResponse {
  accessToken: string;
  /** Epoch ms. */
  expiresAt: number;
  /** What the server granted (`scope`), else what was asked for. */
  scopes: string[];
  /** A new (possibly rotated) refresh token, when the server sent one. */
  refreshToken?: string;
}

/** Assumed lifetime when the server states none and the token is not a JWT with `exp`. */
export const DEFAULT_EXPIRES_IN_SECONDS = 3600;

/**
 * Reads an RFC 6749 §5.1 reply: Microsoft's, Google's and other servers' shapes. `expires_in` may
 * be a number or a numeric string; without it, Azure AD v1's `expires_on` (epoch seconds) or the
 * access token's own `exp` claim is used. Returns undefined when there is no access token.
 */
export function parseTokenResponse(
  body: unknown,
  requestedScopes: readonly string[],
  now: number = Date.now(),
): TokenResponse | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const reply = body as Record<string, unknown>;
  const accessToken = reply.access_token;
  if (typeof accessToken !== 'string' || accessToken === '') return undefined;

  const expiresIn = seconds(reply.expires_in);
  const expiresOn = seconds(reply.expires_on);
  const expiresAt =
    expiresIn !== undefined
      ? now + expiresIn * 1000
      : expiresOn !== undefined
        ? expiresOn * 1000
        : (jwtExpiry(accessToken) ?? now + DEFAULT_EXPIRES_IN_SECONDS * 1000);
  const scope = typeof reply.scope === 'string' ? reply.scope.split(/\s+/).filter((s) => s !== '') : [];
  const refreshToken =
    typeof reply.refresh_token === 'string' && reply.refresh_token !== '' ? reply.refresh_token : undefined;
  return {
    accessToken,
    expiresAt,
    scopes: scope.length > 0 ? scope : [...requestedScopes],
    ...(refreshToken === undefined ? {} : { refreshToken }),
  };
}

function seconds(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** The `exp` claim (epoch ms) of a JWT, read without verifying it; undefined for opaque tokens. */
function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
