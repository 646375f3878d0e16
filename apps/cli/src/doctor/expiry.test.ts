import { describe, expect, it } from 'vitest';
import { problemAndFix } from './checks.js';
import { expiryResult } from './expiry.js';

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
