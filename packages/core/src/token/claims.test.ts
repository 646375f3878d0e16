import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AuditTokenClaimsOptions,
  auditTokenClaims,
  decodeTokenClaims,
  formatClaimsSummary,
  type TokenClaimsSummary,
} from './claims.js';

const NOW = Date.UTC(2026, 10, 29, 6, 0, 0);
const TENANT = '11111111-2222-3333-4444-555555555555';
const EXCHANGE_APP_ID = '00000002-0000-0ff1-ce00-000000000000';

/** An unsigned JWT with the given payload (the signature part is never checked). */
function jwt(payload: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ typ: 'JWT', alg: 'RS256' })}.${part(payload)}.c2lnbmF0dXJl`;
}

const delegated: TokenClaimsSummary = {
  aud: 'https://outlook.office.com',
  tid: TENANT,
  user: 'someone@contoso.example',
  appId: 'app',
  scp: ['IMAP.AccessAsUser.All', 'POP.AccessAsUser.All', 'SMTP.Send'],
  roles: [],
  expiresAt: NOW + 3_600_000,
};
const appOnly: TokenClaimsSummary = {
  aud: 'https://outlook.office365.com',
  tid: TENANT,
  appId: 'app',
  scp: [],
  roles: ['IMAP.AccessAsApp', 'POP.AccessAsApp', 'SMTP.SendAsApp'],
  expiresAt: NOW + 3_600_000,
};
const imap: AuditTokenClaimsOptions = {
  protocol: 'imap',
  mailbox: 'someone@contoso.example',
  tenant: TENANT,
  now: NOW,
};

const codes = (summary: TokenClaimsSummary | undefined, options: Partial<AuditTokenClaimsOptions> = {}) =>
  auditTokenClaims(summary, { ...imap, ...options }).map((f) => f.code);

describe('decodeTokenClaims', () => {
  it("reads a v1 Exchange token's claims", () => {
    const token = jwt({
      aud: 'https://outlook.office.com',
      tid: TENANT,
      upn: 'someone@contoso.example',
      unique_name: 'other@contoso.example',
      appid: 'client-id',
      scp: 'IMAP.AccessAsUser.All SMTP.Send',
      exp: 1_800_000_000,
      idtyp: 'user',
    });
    expect(decodeTokenClaims(token)).toEqual({
      aud: 'https://outlook.office.com',
      tid: TENANT,
      user: 'someone@contoso.example',
      appId: 'client-id',
      scp: ['IMAP.AccessAsUser.All', 'SMTP.Send'],
      roles: [],
      expiresAt: 1_800_000_000_000,
      idType: 'user',
    });
  });

  it('falls back to preferred_username and azp (v2 tokens), and takes a list audience', () => {
    const summary = decodeTokenClaims(
      jwt({
        aud: [EXCHANGE_APP_ID, 'x'],
        preferred_username: 'p@contoso.example',
        azp: 'az',
        roles: ['IMAP.AccessAsApp', 7],
      }),
    );
    expect(summary).toEqual({
      aud: EXCHANGE_APP_ID,
      user: 'p@contoso.example',
      appId: 'az',
      scp: [],
      roles: ['IMAP.AccessAsApp'],
    });
  });

  it.each([
    ['an opaque token', 'EwBwA8l6BAAUkj1oV3/opaque+token=='],
    ['an encrypted (JWE) token', 'a.b.c.d.e'],
    ['a payload that is not JSON', 'eyJ0eXAiOiJKV1QifQ.bm90IGpzb24.c2ln'],
    ['a JSON array payload', `x.${Buffer.from('[1]').toString('base64url')}.y`],
    ['an empty string', ''],
  ])('returns undefined for %s', (_, token) => {
    expect(decodeTokenClaims(token)).toBeUndefined();
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(fc.base64String(), { maxLength: 4 }).map((p) => p.join('.')),
        ),
        (t) => {
          const summary = decodeTokenClaims(t);
          expect(summary === undefined || Array.isArray(summary.scp)).toBe(true);
        },
      ),
    );
  });
});

describe('auditTokenClaims', () => {
  it('finds nothing wrong with a right delegated or app-only token', () => {
    for (const protocol of ['imap', 'pop3', 'smtp'] as const) {
      expect(codes(delegated, { protocol })).toEqual([]);
      expect(codes(appOnly, { protocol, mailbox: 'shared@contoso.example' })).toEqual([]);
    }
    expect(codes({ ...delegated, aud: `${EXCHANGE_APP_ID}` })).toEqual([]);
    expect(codes({ ...delegated, aud: 'https://outlook.office365.us/' }, { cloud: 'usgov' })).toEqual([]);
  });

  it('reports a Microsoft Graph token with the Exchange scope to request', () => {
    for (const aud of ['https://graph.microsoft.com', '00000003-0000-0000-c000-000000000000']) {
      const findings = auditTokenClaims({ ...delegated, aud }, imap);
      expect(findings.map((f) => f.code)).toEqual(['GRAPH_AUDIENCE']);
      expect(findings[0]?.message).toContain(
        'request the Exchange scope https://outlook.office.com/.default (delegated) or https://outlook.office365.com/.default (app-only)',
      );
    }
  });

  it('names the cloud’s Exchange host in the fix', () => {
    const [finding] = auditTokenClaims(
      { ...delegated, aud: 'https://graph.microsoft.us' },
      { ...imap, cloud: 'usgov' },
    );
    expect(finding?.message).toContain('https://outlook.office365.us/.default');
  });

  it('reports any other audience, or none', () => {
    expect(codes({ ...delegated, aud: 'api://my-api' })).toEqual(['WRONG_AUDIENCE']);
    const { aud: _, ...noAudience } = delegated;
    expect(codes(noAudience)).toEqual(['WRONG_AUDIENCE']);
  });

  it.each([
    ['imap', false, 'IMAP.AccessAsUser.All'],
    ['pop3', false, 'POP.AccessAsUser.All'],
    ['smtp', false, 'SMTP.Send'],
    ['imap', true, 'IMAP.AccessAsApp'],
    ['pop3', true, 'POP.AccessAsApp'],
    ['smtp', true, 'SMTP.SendAsApp'],
  ] as const)('reports a missing %s permission (app-only %s): %s', (protocol, isApp, permission) => {
    const summary = isApp
      ? { ...appOnly, roles: ['full_access_as_app'] }
      : { ...delegated, scp: ['EWS.AccessAsUser.All', 'offline_access'] };
    const findings = auditTokenClaims(summary, { ...imap, protocol });
    expect(findings.map((f) => f.code)).toEqual(['MISSING_PERMISSION']);
    expect(findings[0]?.message).toContain(permission);
    expect(findings[0]?.message).toContain('Grant admin consent');
  });

  it('takes appOnly and idtyp over the inference from roles', () => {
    expect(codes({ ...delegated, roles: ['IMAP.AccessAsApp'], scp: [] }, { appOnly: false })).toEqual([
      'MISSING_PERMISSION',
    ]);
    expect(codes({ ...appOnly, idType: 'user' })).toEqual(['MISSING_PERMISSION']);
  });

  it('reports a delegated token for another user, with the shared-mailbox fix', () => {
    const findings = auditTokenClaims(delegated, { ...imap, mailbox: 'Shared@Contoso.example' });
    expect(findings.map((f) => f.code)).toEqual(['USER_MISMATCH']);
    expect(findings[0]?.message).toContain('Add-MailboxPermission');
    expect(codes(delegated, { mailbox: 'SOMEONE@contoso.example' })).toEqual([]);
  });

  it('reports expiry and another tenant (only when the tenant is a directory id)', () => {
    expect(codes({ ...delegated, expiresAt: NOW })).toEqual(['EXPIRED']);
    expect(codes(delegated, { tenant: '99999999-2222-3333-4444-555555555555' })).toEqual(['WRONG_TENANT']);
    expect(codes(delegated, { tenant: 'contoso.onmicrosoft.com' })).toEqual([]);
  });

  it('reports several problems at once', () => {
    const bad: TokenClaimsSummary = {
      aud: 'https://graph.microsoft.com',
      scp: ['Mail.Read'],
      roles: [],
      expiresAt: 1,
    };
    expect(codes(bad)).toEqual(['GRAPH_AUDIENCE', 'MISSING_PERMISSION', 'EXPIRED']);
  });

  it('reports an opaque token as NOT_A_JWT', () => {
    expect(codes(undefined)).toEqual(['NOT_A_JWT']);
  });
});

describe('formatClaimsSummary', () => {
  it('prints one line, with - for absent claims', () => {
    expect(formatClaimsSummary(delegated)).toBe(
      `aud=https://outlook.office.com tid=${TENANT} user=someone@contoso.example appid=app scp=IMAP.AccessAsUser.All,POP.AccessAsUser.All,SMTP.Send roles=- exp=2026-11-29T07:00:00.000Z`,
    );
    expect(formatClaimsSummary({ scp: [], roles: ['SMTP.SendAsApp'] })).toBe(
      'aud=- tid=- user=- appid=- scp=- roles=SMTP.SendAsApp exp=-',
    );
  });
});
