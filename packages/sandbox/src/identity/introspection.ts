/**
 * RFC 7662 token introspection, so a real Dovecot (oauth2 passdb with `introspection_mode = post`)
 * can validate sandbox tokens. A token is active when it carries our signature, was issued for a
 * sandbox tenant, is within its validity window and was not revoked.
 */
import type { SandboxState } from '../state.js';
import { numberClaim, stringClaim, verifyJwtSignature } from './jwt.js';
import type { SigningKey } from './tokens.js';

/** An RFC 7662 introspection answer. */
export type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>);

/** Introspects `token` against the sandbox's key, directory, clock and revocations. */
export function introspect(state: SandboxState, key: SigningKey, token: string): IntrospectionResponse {
  const check = verifyJwtSignature(token, key);
  if (!check.ok) return { active: false };
  const claims = check.claims;
  const tid = stringClaim(claims, 'tid');
  const exp = numberClaim(claims, 'exp');
  const nbf = numberClaim(claims, 'nbf') ?? 0;
  const jti = stringClaim(claims, 'jti');
  const now = state.nowSeconds();
  if (!tid || !state.tenants.has(tid) || exp === undefined || exp <= now || nbf > now + 300)
    return { active: false };
  if (jti && state.isTokenRevoked(jti)) return { active: false };
  const upn = stringClaim(claims, 'upn');
  const scp = stringClaim(claims, 'scp');
  const roles = Array.isArray(claims.roles)
    ? claims.roles.filter((r): r is string => typeof r === 'string')
    : [];
  return {
    active: true,
    token_type: 'Bearer',
    client_id: stringClaim(claims, 'appid'),
    username: upn,
    scope: scp ?? roles.join(' '),
    exp,
    iat: numberClaim(claims, 'iat'),
    nbf,
    sub: stringClaim(claims, 'sub'),
    aud: stringClaim(claims, 'aud'),
    iss: stringClaim(claims, 'iss'),
    jti,
    tid,
    oid: stringClaim(claims, 'oid'),
    ...(roles.length > 0 ? { roles } : {}),
  };
}
