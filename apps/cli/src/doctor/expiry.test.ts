import { resolveConfig } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { problemAndFix } from './checks.js';
import { expiryChecks, expiryResult } from './expiry.js';

const DAY = 86_400_000;
const expiresAt = Date.UTC(2027, 2, 31);
const certificate = {
  kind: 'certificate',
  provider: 'msal',
  subject: 'certificate AB12 of app 782d2e03',
  expiresAt,
} as const;

describe('expiryResult', () => {
  it('is ok beyond 30 days, a warning within, a failure with the fix once expired', () => {
    expect(expiryResult(certificate, expiresAt - 31 * DAY)).toBe(
      'Certificate AB12 of app 782d2e03 expires in 31 days (2027-03-31)',
    );
    expect(expiryResult(certificate, expiresAt - 30 * DAY)).toMatchObject({
      detail: '30 days left',
      code: 'CREDENTIAL_EXPIRING',
      fix: expect.stringContaining('upload its public part to the app registration'),
    });
    let failure: unknown;
    try {
      expiryResult(certificate, expiresAt + 2 * DAY);
    } catch (error) {
      failure = error;
    }
    expect(problemAndFix(failure)).toEqual({
      problem:
        'Certificate AB12 of app 782d2e03 expired 2 days ago (2027-03-31): token requests with it fail.',
      fix: expect.stringContaining('o365.oauth.certificate.thumbprint'),
      code: 'CREDENTIAL_EXPIRED',
    });
  });
});

describe('expiryChecks', () => {
  const app = {
    'o365.oauth.tenant': 'contoso.onmicrosoft.com',
    'o365.oauth.clientId': '782d2e03-9066-4d59-ab6a-a2cfbc0212a1',
    'o365.oauth.clientSecret': 'a-secret-value',
  };
  const plan = (properties: Record<string, string>) =>
    expiryChecks({
      config: resolveConfig(properties),
      session: () => Promise.reject(new Error('not opened')),
      now: () => expiresAt - 3 * DAY,
    });

  it("checks the configured secret's expiry, or says how to configure it", async () => {
    const [known] = plan({ ...app, 'o365.oauth.clientSecret.expires': '2027-03-31' });
    expect(known).toMatchObject({ id: 'expiry:client_secret', title: 'Client secret expiry' });
    expect(await known!.run()).toMatchObject({ detail: '3 days left', code: 'CREDENTIAL_EXPIRING' });

    const [unknown] = plan(app);
    expect(await unknown!.run()).toContain('set o365.oauth.clientSecret.expires');
  });
});
