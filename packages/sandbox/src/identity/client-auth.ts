/**
 * Client authentication at the token endpoint: a client secret, a client assertion (a JWT signed
 * with a registered certificate's key, RS256 or PS256, identified by `x5t` or `x5t#S256`), or
 * none for apps that allow public client flows — with Entra ID's error for each way it fails.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { SandboxApp, SandboxCertificate, SandboxState } from '../state.js';
import { AadstsError } from './aadsts.js';
import type { ClientAuthMethod } from './tokens.js';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function findCertificate(app: SandboxApp, assertion: string): SandboxCertificate | undefined {
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(assertion) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const hex = (value: unknown) =>
    typeof value === 'string' ? Buffer.from(value, 'base64url').toString('hex').toUpperCase() : undefined;
  const sha1 = hex(header.x5t);
  const sha256 = hex(header['x5t#S256']);
  return app.certificates.find((c) => c.thumbprint === sha1 || c.thumbprintSha256 === sha256);
}

async function verifyAssertion(
  state: SandboxState,
  app: SandboxApp,
  assertion: string,
  audiences: readonly string[],
): Promise<void> {
  const certificate = findCertificate(app, assertion);
  if (!certificate) throw new AadstsError(700027, ['Key was not found.', app.clientId]);
  try {
    await jwtVerify(assertion, certificate.publicKey, {
      algorithms: ['RS256', 'PS256'],
      audience: [...audiences],
      issuer: app.clientId,
      subject: app.clientId,
      currentDate: new Date(state.now()),
      clockTolerance: 300,
    });
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new AadstsError(700024);
    if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'nbf')
      throw new AadstsError(700024);
    const reason =
      error instanceof joseErrors.JWSSignatureVerificationFailed
        ? 'Signature is invalid.'
        : error instanceof joseErrors.JWTClaimValidationFailed
          ? `The '${error.claim}' claim is invalid.`
          : 'The assertion is malformed.';
    throw new AadstsError(700027, [reason, app.clientId]);
  }
}

/** The client credential form fields of a token request. */
export interface ClientCredentials {
  clientSecret?: string;
  clientAssertion?: string;
  clientAssertionType?: string;
}

/**
 * Authenticates the client of a token request. `publicAllowed` is true for the user flows
 * (password, device code, refresh token), where an app with public client flows may send nothing.
 * `audiences` are the token endpoint URLs a client assertion may name as `aud`.
 */
export async function authenticateClient(
  state: SandboxState,
  app: SandboxApp,
  credentials: ClientCredentials,
  publicAllowed: boolean,
  audiences: readonly string[],
): Promise<ClientAuthMethod> {
  const { clientSecret, clientAssertion } = credentials;
  const hasCredentials = app.secrets.length > 0 || app.certificates.length > 0;
  if ((clientSecret || clientAssertion) && app.publicClient && !hasCredentials) {
    throw new AadstsError(700025);
  }
  if (clientAssertion) {
    if (credentials.clientAssertionType !== JWT_BEARER)
      throw new AadstsError(900144, ['client_assertion_type']);
    await verifyAssertion(state, app, clientAssertion, audiences);
    return 'certificate';
  }
  if (clientSecret) {
    const match = app.secrets.find((s) => sameSecret(s.value, clientSecret));
    if (!match) throw new AadstsError(7000215, [app.clientId]);
    if (match.expiresAt !== undefined && match.expiresAt <= state.now())
      throw new AadstsError(7000222, [app.clientId]);
    return 'secret';
  }
  if (publicAllowed && app.publicClient) return 'public';
  throw new AadstsError(7000218);
}
