import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP, resolveError } from '../../test/config-fixtures.js';
import { recordingLogger } from '../../test/runtime-fixtures.js';
import { resolveConfig } from '../config/resolve.js';
import {
  type CredentialExpiry,
  configuredCredentialExpiries,
  createCredentialExpiryTracker,
  credentialExpiryFinding,
  credentialExpiryPoints,
  refreshTokenExpiresAt,
  refreshTokenNeedsRenewal,
  trackCredentialExpiry,
} from './credential-expiry.js';

const DAY = 86_400_000;
const CLIENT_SECRET = 'expiry-test-secret-value';

/** A self-signed certificate and its key in one PEM, as `openssl pkcs12 -nodes` writes them. */
function certificateBundle(): { pem: string; thumbprint: string; notAfter: number } {
  const dir = mkdtempSync(join(tmpdir(), 'kalisto-cert-'));
  try {
    const run = (args: string[]) =>
      execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    run(
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
        '-keyout',
        'key.pem',
        '-out',
        'cert.pem',
        '-days',
        '45',
        '-subj',
        '/CN=Kalisto expiry test',
      ]),
    );
    const thumbprint = run(['x509', '-in', 'cert.pem', '-noout', '-fingerprint', '-sha1'])
      .split('=')[1]!
      .replace(/[^0-9A-F]/gi, '');
    const notAfter = Date.parse(run(['x509', '-in', 'cert.pem', '-noout', '-enddate']).split('=')[1]!.trim());
    const pem = readFileSync(join(dir, 'cert.pem'), 'utf8') + readFileSync(join(dir, 'key.pem'), 'utf8');
    return { pem, thumbprint, notAfter };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('o365.oauth.clientSecret.expires', () => {
  it.each([
    ['2027-03-31', Date.UTC(2027, 2, 31)],
    ['2027-03-31T14:30:00Z', Date.UTC(2027, 2, 31, 14, 30)],
    ['2027-03-31T14:30+02:00', Date.UTC(2027, 2, 31, 12, 30)],
  ])('reads %s', (text, expected) => {
    const config = resolveConfig({ ...APP, 'o365.oauth.clientSecret.expires': text });
    expect(config.oauth.clientSecretExpiresAt).toBe(expected);
  });

  it.each(['3/31/2027', '2027-02-30', '31.03.2027', '2027-03-31T14:30:00'])(
    'refuses %s naming the property and an example',
    (text) => {
      const error = resolveError({ ...APP, 'o365.oauth.clientSecret.expires': text });
      expect(error.issues).toEqual([
        expect.objectContaining({ property: 'o365.oauth.clientSecret.expires', value: text }),
      ]);
      expect(error.message).toContain('o365.oauth.clientSecret.expires');
      expect(error.message).toContain('2027-03-31');
    },
  );
});

describe('the certificate credential', () => {
  const bundle = certificateBundle();

  it("reads notAfter from the certificate in the private key's PEM", () => {
    const config = resolveConfig({
      'o365.oauth.tenant': APP['o365.oauth.tenant'],
      'o365.oauth.clientId': APP['o365.oauth.clientId'],
      'o365.oauth.certificate.thumbprint': bundle.thumbprint,
      'o365.oauth.certificate.privateKey': bundle.pem,
    });
    expect(config.oauth.certificate?.notAfter).toBe(bundle.notAfter);
    expect(configuredCredentialExpiries(config.oauth)).toEqual([
      expect.objectContaining({ kind: 'certificate', expiresAt: bundle.notAfter }),
    ]);
  });

  it('warns when no certificate in the PEM has the thumbprint, and claims no expiry', () => {
    const config = resolveConfig({
      'o365.oauth.tenant': APP['o365.oauth.tenant'],
      'o365.oauth.clientId': APP['o365.oauth.clientId'],
      'o365.oauth.certificate.thumbprint': 'AB'.repeat(20),
      'o365.oauth.certificate.privateKey': bundle.pem,
    });
    expect(config.oauth.certificate?.notAfter).toBeUndefined();
    expect(config.warnings).toEqual([
      expect.objectContaining({ property: 'o365.oauth.certificate.thumbprint' }),
    ]);
  });
});

describe('trackCredentialExpiry', () => {
  const expiresAt = Date.UTC(2027, 2, 31);
  const secret: CredentialExpiry = {
    kind: 'client_secret',
    provider: 'msal',
    subject: 'client secret of app 782d2e03',
    expiresAt,
  };

  it('warns once at each threshold crossed: 31 → 30 → 8 → 7 → 2 → 1 → 0 days', () => {
    const logger = recordingLogger();
    const tracker = createCredentialExpiryTracker();
    const warnedAt: number[] = [];
    for (const days of [31, 30, 30, 8, 7, 7, 2, 1, 1, 0, -1]) {
      const before = logger.lines.length;
      trackCredentialExpiry(secret, { logger, now: expiresAt - days * DAY, tracker });
      if (logger.lines.length > before) warnedAt.push(days);
    }
    expect(warnedAt).toEqual([30, 7, 1, 0]);
    expect(logger.lines.map((l) => l.level)).toEqual(['warn', 'warn', 'warn', 'error']);
    expect(logger.lines[0]!.msg).toBe(
      'Client secret of app 782d2e03 expires in 30 days (2027-03-31): token requests fail after that.',
    );
    expect(logger.lines[0]!.obj).toMatchObject({
      credential: 'client_secret',
      provider: 'msal',
      daysLeft: 30,
    });
    expect(logger.lines[3]!.msg).toContain('expired today');
    expect(logger.lines[3]!.obj.fix).toContain('o365.oauth.clientSecret.expires');
  });

  it('starts over for a renewed credential, and warns about the one process-wide only once', () => {
    const logger = recordingLogger();
    const tracker = createCredentialExpiryTracker();
    trackCredentialExpiry(secret, { logger, now: expiresAt - 5 * DAY, tracker });
    trackCredentialExpiry(secret, { logger: recordingLogger(), now: expiresAt - 5 * DAY, tracker });
    const renewed = { ...secret, expiresAt: expiresAt + 365 * DAY };
    trackCredentialExpiry(renewed, { logger, now: expiresAt - 4 * DAY, tracker });
    trackCredentialExpiry(renewed, { logger, now: renewed.expiresAt - 29 * DAY, tracker });
    expect(logger.lines.map((l) => l.obj.daysLeft)).toEqual([5, 29]);
  });

  it('never logs the secret itself', () => {
    const logger = recordingLogger();
    const config = resolveConfig({
      ...APP,
      'o365.oauth.clientSecret': CLIENT_SECRET,
      'o365.oauth.clientSecret.expires': '2027-03-31',
    });
    const [expiry] = configuredCredentialExpiries(config.oauth);
    trackCredentialExpiry(expiry!, {
      logger,
      now: expiresAt + DAY,
      tracker: createCredentialExpiryTracker(),
    });
    expect(logger.lines).toHaveLength(1);
    expect(JSON.stringify(logger.lines)).not.toContain(CLIENT_SECRET);
  });
});

describe('refresh tokens', () => {
  const redeemed = Date.UTC(2026, 0, 1);

  it('expire 90 days after their last redemption and are renewed after 80 idle', () => {
    expect(refreshTokenExpiresAt(redeemed) - redeemed).toBe(90 * DAY);
    expect(refreshTokenNeedsRenewal(redeemed, redeemed + 79 * DAY)).toBe(false);
    expect(refreshTokenNeedsRenewal(redeemed, redeemed + 80 * DAY)).toBe(true);
    expect(refreshTokenNeedsRenewal(undefined, redeemed)).toBe(true);
  });

  it('say how they die', () => {
    const expiry: CredentialExpiry = {
      kind: 'refresh_token',
      provider: 'oauth2',
      subject: 'refresh token of someone@contoso.example',
      expiresAt: refreshTokenExpiresAt(redeemed),
    };
    expect(credentialExpiryFinding(expiry, redeemed + 85 * DAY)).toMatchObject({
      status: 'warning',
      daysLeft: 5,
    });
    expect(credentialExpiryFinding(expiry, redeemed + 91 * DAY).message).toContain('AADSTS700082');
  });
});

describe('credentialExpiryPoints', () => {
  it('gives the soonest expiry per kind and provider, in seconds, without the subject', () => {
    const now = Date.UTC(2026, 0, 1);
    const points = credentialExpiryPoints(
      [
        { kind: 'refresh_token', provider: 'msal', subject: 'a@contoso.example', expiresAt: now + 50 * DAY },
        { kind: 'refresh_token', provider: 'msal', subject: 'b@contoso.example', expiresAt: now + 40 * DAY },
        { kind: 'client_secret', provider: 'msal', subject: 'app', expiresAt: now - DAY },
      ],
      now,
    );
    expect(points).toEqual([
      { kind: 'refresh_token', provider: 'msal', secondsLeft: 40 * 86_400 },
      { kind: 'client_secret', provider: 'msal', secondsLeft: -86_400 },
    ]);
  });
});
