import { resolveConfig, type TokenClaimsSummary } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { auditGraphFor, graphOperations, tokenService } from './claims.js';
import { planChecks } from './doctor/plan.js';

const TENANT = '0b221e1f-d14e-4a3f-8500-f603d58afd9a';
const APP = {
  'o365.oauth.tenant': TENANT,
  'o365.oauth.clientId': '11111111-2222-3333-4444-555555555555',
  'o365.oauth.clientSecret': 'not-used-here',
  'o365.user': 'adele@contoso.example',
};

const appToken = (aud: string, roles: string[]): TokenClaimsSummary => ({ aud, tid: TENANT, scp: [], roles });

describe('the claims audit knows Microsoft Graph', () => {
  it('names a token by its service: Graph in every cloud (and its app id), Exchange Online, else nothing', () => {
    expect(tokenService(appToken('https://graph.microsoft.com', []))).toBe('Microsoft Graph');
    expect(tokenService(appToken('https://graph.microsoft.us/', []))).toBe('Microsoft Graph');
    expect(tokenService(appToken('00000003-0000-0000-c000-000000000000', []))).toBe('Microsoft Graph');
    expect(tokenService(appToken('https://outlook.office365.com', []))).toBe(
      'Exchange Online (IMAP/POP/SMTP)',
    );
    expect(tokenService(appToken('api://something-else', []))).toBeUndefined();
    expect(tokenService(undefined)).toBeUndefined();
  });

  it('checks Mail.Send for the transport and Mail.Read for the store, by the configured protocols', () => {
    const both = resolveConfig({
      ...APP,
      'mail.store.protocol': 'graph',
      'mail.transport.protocol': 'graph',
    });
    expect(graphOperations(both)).toEqual(['read', 'send']);
    const send = resolveConfig({ ...APP, 'mail.transport.protocol': 'graph' });
    expect(graphOperations(send)).toEqual(['send']);
    const readOnly = appToken('https://graph.microsoft.com', ['Mail.Read']);
    const findings = auditGraphFor(readOnly, ['send'], send, 'adele@contoso.example');
    expect(findings.map((f) => f.code)).toEqual(['MISSING_PERMISSION']);
    expect(findings[0]!.message).toContain('lack Mail.Send: add the application permission Mail.Send');
    expect(auditGraphFor(readOnly, ['read'], send, 'adele@contoso.example')).toEqual([]);
  });

  it('names an Exchange Online token used for Graph as such, once for both operations', () => {
    const config = resolveConfig({
      ...APP,
      'mail.store.protocol': 'graph',
      'mail.transport.protocol': 'graph',
    });
    const outlook = appToken('https://outlook.office365.com', ['Mail.ReadWrite', 'Mail.Send']);
    const findings = auditGraphFor(outlook, ['read', 'send'], config, 'adele@contoso.example');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: 'WRONG_AUDIENCE' });
    expect(findings[0]!.message).toMatch(
      /^The token is for Exchange Online \(aud https:\/\/outlook\.office365\.com\), not Microsoft Graph\. .*mail\.graph\.scope, default https:\/\/graph\.microsoft\.com\/\.default/,
    );
  });
});

describe("doctor's plan with graph", () => {
  const ids = (protocols: string[], extra: Record<string, string> = {}, sendTest = false) =>
    planChecks({
      config: resolveConfig({ ...APP, ...extra }),
      session: () => Promise.reject(new Error('not opened in a plan')),
      protocols,
      sendTest,
      timeoutMs: 1000,
    }).map((c) => c.id);

  it('checks the Graph token, its fit and the mailbox, and no Outlook token when only graph is checked', () => {
    expect(ids(['graph'])).toEqual([
      'dns:login.microsoftonline.com',
      'tcp:login.microsoftonline.com:443',
      'tls:identity',
      'dns:graph.microsoft.com',
      'tcp:graph.microsoft.com:443',
      'tls:graph',
      'token:graph',
      'claims:graph',
      'login:graph',
      'expiry:client_secret',
      'cache',
    ]);
    expect(ids(['imaps', 'graph'])).toEqual(
      expect.arrayContaining(['token', 'claims:imap', 'login:imaps', 'token:graph']),
    );
  });

  it('sends a test message through the graph transport with --send-test, or as Send As with another sender', () => {
    expect(ids(['graph'], { 'mail.transport.protocol': 'graph' })).not.toContain('sendas');
    expect(ids(['graph'], { 'mail.transport.protocol': 'graph' }, true)).toContain('sendas');
    expect(
      ids(['graph'], { 'mail.transport.protocol': 'graph', 'mail.graph.from': 'info@contoso.example' }),
    ).toContain('sendas');
  });
});
