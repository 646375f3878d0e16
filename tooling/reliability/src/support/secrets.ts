/**
 * What counts as a secret in this suite's output, and how a text is checked and masked. Nothing a
 * scenario writes into REPORT.md goes out unmasked.
 */

/** A JWT (what every access token of the sandbox is), `eyJ…` header and payload. */
export const JWT = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}(?:\.[A-Za-z0-9_-]*)?/g;
/** The shapes of the sandbox's fixture credentials: Entra-like client secrets and user passwords. */
const FIXTURE_SHAPES = [/[A-Za-z0-9_-]{3}8Q~[A-Za-z0-9_-]{34}/g, /[A-Z][a-z]+-Sandbox-\d+!/g];

/** Runs that may be base64 (a SASL payload in a protocol trace carries the token encoded). */
const BASE64_RUN = /[A-Za-z0-9+/_-]{24,}={0,2}/g;

function plainLeaks(text: string, secrets: Readonly<Record<string, string>>): string[] {
  const found: string[] = [];
  for (const [label, secret] of Object.entries(secrets)) {
    if (secret.length >= 4 && text.includes(secret)) found.push(`secret:${label}`);
  }
  if (new RegExp(JWT.source).test(text)) found.push('jwt');
  return found;
}

/**
 * Labels of what leaked into `text`: each given secret found (`secret:<label>`) and `jwt`, also
 * inside base64 runs (`…(base64)`).
 */
export function leaksIn(text: string, secrets: Readonly<Record<string, string>> = {}): string[] {
  const found = new Set(plainLeaks(text, secrets));
  for (const run of text.match(BASE64_RUN) ?? []) {
    const decoded = Buffer.from(
      run,
      run.includes('-') || run.includes('_') ? 'base64url' : 'base64',
    ).toString('latin1');
    for (const leak of plainLeaks(decoded, secrets)) found.add(`${leak}(base64)`);
  }
  return [...found];
}

/** `text` with every given secret, every JWT and every fixture-shaped credential replaced. */
export function maskSecrets(text: string, secrets: Readonly<Record<string, string>> = {}): string {
  let masked = text;
  for (const secret of Object.values(secrets)) {
    if (secret.length >= 4) masked = masked.split(secret).join('<secret>');
  }
  masked = masked.replace(JWT, '<jwt>');
  for (const shape of FIXTURE_SHAPES) masked = masked.replace(shape, '<secret>');
  return masked;
}
