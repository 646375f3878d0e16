import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  TOKEN_CACHE_KEY_PREFIX,
  type TokenCacheKeyParts,
  tokenCacheKey,
  tokenEndpointForKey,
} from './key.js';

const base: TokenCacheKeyParts = {
  authority: 'https://login.microsoftonline.com/161ee23e-798c-481d-975a-39345f76032a',
  tenant: '161ee23e-798c-481d-975a-39345f76032a',
  clientId: '782d2e03-9066-4d59-ab6a-a2cfbc0212a1',
  flow: 'password',
  user: 'someone@contoso.example',
  scopes: ['https://outlook.office.com/IMAP.AccessAsUser.All', 'offline_access'],
};

describe('tokenCacheKey', () => {
  it('is a versioned SHA-256 hex digest', () => {
    expect(tokenCacheKey(base)).toMatch(new RegExp(`^${TOKEN_CACHE_KEY_PREFIX}[0-9a-f]{64}$`));
  });

  it('is stable under scope order, duplicates and user case', () => {
    const same = tokenCacheKey({
      ...base,
      user: 'SomeOne@Contoso.Example',
      scopes: ['offline_access', 'https://outlook.office.com/IMAP.AccessAsUser.All', 'offline_access'],
    });
    expect(same).toBe(tokenCacheKey(base));
  });

  it('differs for every identifying part', () => {
    const keys = [
      base,
      { ...base, tenant: 'a0000000-0000-0000-0000-000000000000' },
      { ...base, authority: 'https://login.microsoftonline.us/161ee23e-798c-481d-975a-39345f76032a' },
      { ...base, clientId: 'b0000000-0000-0000-0000-000000000000' },
      { ...base, flow: 'device_code' },
      { ...base, user: 'other@contoso.example' },
      { ...base, user: undefined },
      { ...base, scopes: ['https://outlook.office.com/SMTP.Send'] },
    ].map(tokenCacheKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('cannot be made to collide by moving text between fields', () => {
    const a = tokenCacheKey({ ...base, tenant: 'ab', clientId: 'c' });
    const b = tokenCacheKey({ ...base, tenant: 'a', clientId: 'bc' });
    expect(a).not.toBe(b);
  });

  it('shows none of its inputs', () => {
    const key = tokenCacheKey(base);
    for (const part of [base.tenant, base.clientId, base.user!, 'offline_access'])
      expect(key).not.toContain(part);
  });

  it('ignores scope order and repetition, and separates tenants (property)', () => {
    const scope = fc.constantFrom(
      'openid',
      'offline_access',
      'https://outlook.office.com/SMTP.Send',
      'x/IMAP',
    );
    fc.assert(
      fc.property(fc.array(scope, { minLength: 1, maxLength: 6 }), fc.uuid(), fc.uuid(), (scopes, t1, t2) => {
        const shuffled = [...scopes].reverse().concat(scopes[0]!);
        expect(tokenCacheKey({ ...base, scopes: shuffled })).toBe(tokenCacheKey({ ...base, scopes }));
        if (t1 !== t2) {
          expect(tokenCacheKey({ ...base, tenant: t1, scopes })).not.toBe(
            tokenCacheKey({ ...base, tenant: t2, scopes }),
          );
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the standard endpoint out of the key and puts any other token URL in', () => {
    const authority = 'https://login.microsoftonline.com/contoso.example';
    expect(tokenEndpointForKey(authority, `${authority}/oauth2/v2.0/token`)).toBeUndefined();
    expect(
      tokenEndpointForKey(
        `${authority}/`,
        'https://LOGIN.microsoftonline.com/contoso.example/oauth2/v2.0/token',
      ),
    ).toBeUndefined();
    expect(tokenEndpointForKey('https://idp.example/', 'https://idp.example/realms/a/token')).toBe(
      'https://idp.example/realms/a/token',
    );
    expect(tokenCacheKey({ ...base, tokenUrl: undefined })).toBe(tokenCacheKey(base));
    expect(tokenCacheKey({ ...base, tokenUrl: 'https://idp.example/a' })).not.toBe(
      tokenCacheKey({ ...base, tokenUrl: 'https://idp.example/b' }),
    );
  });
});
