import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuthVerifier } from './auth-verifier.js';
import type { MailAuthRequest, MailAuthVerifier } from './contracts.js';
import { createSigningKey, type SigningKey, TokenIssuer } from './identity/tokens.js';
import { defaultDirectory, FIXTURE, seededGuid } from './options.js';
import { SandboxState } from './state.js';

const { adele, megan, alex, foreign } = FIXTURE.users;
const DAEMON = seededGuid(1, 'app:daemon');
const DESKTOP = seededGuid(1, 'app:desktop');
const FABRIKAM_APP = seededGuid(1, 'app:fabrikam');

describe('the mail-auth verifier with real signed tokens', () => {
  let key: SigningKey;
  let otherKey: SigningKey;
  let state: SandboxState;
  let verifier: MailAuthVerifier;
  let issuer: TokenIssuer;

  beforeAll(async () => {
    [key, otherKey] = await Promise.all([createSigningKey(), createSigningKey()]);
  });
  beforeEach(() => {
    state = new SandboxState(defaultDirectory(1));
    verifier = createAuthVerifier(state, key);
    issuer = new TokenIssuer(state, key, () => 'https://127.0.0.1:1');
  });

  const userToken = async (
    upn: string,
    options: { scp?: string[]; audience?: string; lifetimeSeconds?: number; signer?: TokenIssuer } = {},
  ) => {
    const user = state.findUser(upn);
    if (!user) throw new Error(`no fixture user ${upn}`);
    const app = user.tenant.apps.get(user.tenant.domain === FIXTURE.domain ? DESKTOP : FABRIKAM_APP);
    if (!app) throw new Error('no fixture app');
    return (options.signer ?? issuer).accessToken({
      tenant: user.tenant,
      app,
      user,
      audience: options.audience ?? 'https://outlook.office.com',
      scp: options.scp ?? ['IMAP.AccessAsUser.All', 'POP.AccessAsUser.All', 'SMTP.Send'],
      clientAuth: 'public',
      lifetimeSeconds: options.lifetimeSeconds,
    });
  };
  const appToken = async (
    clientId = DAEMON,
    roles = ['IMAP.AccessAsApp', 'POP.AccessAsApp', 'SMTP.SendAsApp'],
  ) => {
    const app = state.findApp(clientId);
    if (!app) throw new Error('no fixture app');
    return issuer.accessToken({
      tenant: app.tenant,
      app,
      audience: 'https://outlook.office365.com',
      roles,
      clientAuth: 'secret',
    });
  };
  const verify = (token: string, user: string, protocol: MailAuthRequest['protocol'] = 'imap') =>
    verifier.verify({ mechanism: 'XOAUTH2', user, token, protocol });
  const reasonOf = (result: ReturnType<typeof verify>) => (result.ok ? 'ok' : result.reason);

  it('opens a user’s own mailbox and reports principal, sendAs, expiry and token id', async () => {
    const issued = await userToken(adele);
    const result = verify(issued.token, adele.toUpperCase());
    expect(result).toEqual({
      ok: true,
      mailbox: adele,
      principal: adele,
      sendAs: [adele],
      expiresAt: issued.exp * 1000,
      tokenId: issued.jti,
    });
  });

  it('opens a shared mailbox for a delegate with FullAccess, and lists the SendAs grant', async () => {
    const { token } = await userToken(megan);
    const result = verify(token, FIXTURE.sharedMailbox, 'smtp');
    expect(result).toMatchObject({ ok: true, mailbox: FIXTURE.sharedMailbox, principal: megan });
    expect(result.ok && [...result.sendAs].sort()).toEqual([FIXTURE.sharedMailbox, megan].sort());
  });

  it('refuses a user’s token for someone else’s mailbox: no_mailbox_access', async () => {
    const { token } = await userToken(adele);
    expect(reasonOf(verify(token, FIXTURE.sharedMailbox))).toBe('no_mailbox_access');
    expect(reasonOf(verify(token, megan))).toBe('no_mailbox_access');
  });

  it('opens any granted mailbox for an app with a registered service principal', async () => {
    const { token } = await appToken();
    const result = verify(token, megan, 'pop3');
    expect(result).toMatchObject({ ok: true, mailbox: megan, principal: `app:${DAEMON}`, sendAs: [megan] });
  });

  it('refuses an app whose service principal is missing or registered with the wrong object id', async () => {
    const { token } = await appToken();
    const app = state.findApp(DAEMON);
    if (!app) throw new Error('no fixture app');
    app.exchangeServicePrincipalId = seededGuid(1, 'the app registration object id');
    expect(reasonOf(verify(token, adele))).toBe('no_mailbox_access');
    app.exchangeServicePrincipalId = undefined;
    const result = verify(token, adele);
    expect(result.ok ? '' : result.detail).toContain('New-ServicePrincipal');
  });

  it('refuses an app without FullAccess on the mailbox', async () => {
    const { token } = await appToken();
    state.findTenant(FIXTURE.domain)?.fullAccess.delete('*');
    const result = verify(token, adele);
    expect(reasonOf(result)).toBe('no_mailbox_access');
    expect(result.ok ? '' : result.detail).toContain('Add-MailboxPermission');
  });

  it('refuses what is not a sandbox-signed JWT: invalid_token', async () => {
    expect(reasonOf(verify('garbage', adele))).toBe('invalid_token');
    const foreignSigner = new TokenIssuer(state, otherKey, () => 'https://127.0.0.1:1');
    const { token } = await userToken(adele, { signer: foreignSigner });
    expect(reasonOf(verify(token, adele))).toBe('invalid_token');
    const [h, p] = (await userToken(adele)).token.split('.');
    expect(reasonOf(verify(`${h}.${p}.${Buffer.from('forged').toString('base64url')}`, adele))).toBe(
      'invalid_token',
    );
  });

  it('refuses an expired token: expired', async () => {
    const { token } = await userToken(adele, { lifetimeSeconds: -1 });
    expect(reasonOf(verify(token, adele))).toBe('expired');
  });

  it('refuses a revoked token or a revoked user’s tokens: revoked, and isRevoked agrees', async () => {
    const one = await userToken(adele);
    const two = await userToken(megan);
    state.revokeToken(one.jti);
    expect(reasonOf(verify(one.token, adele))).toBe('revoked');
    expect(verifier.isRevoked(one.jti)).toBe(true);
    expect(verifier.isRevoked(two.jti)).toBe(false);
    state.revokePrincipal(megan);
    expect(reasonOf(verify(two.token, megan))).toBe('revoked');
    expect(verifier.isRevoked(two.jti)).toBe(true);
    // A sign-in after the revocation works, even within the same second.
    const fresh = await userToken(megan);
    expect(verify(fresh.token, megan).ok).toBe(true);
  });

  it('refuses a Microsoft Graph token: wrong_audience, saying so', async () => {
    const { token } = await userToken(adele, { audience: 'https://graph.microsoft.com' });
    const result = verify(token, adele);
    expect(reasonOf(result)).toBe('wrong_audience');
    expect(result.ok ? '' : result.detail).toContain('Microsoft Graph');
  });

  it('refuses another tenant’s token for this tenant’s mailbox: wrong_tenant', async () => {
    const { token } = await userToken(foreign);
    expect(reasonOf(verify(token, adele))).toBe('wrong_tenant');
    const fabrikamApp = await appToken(FABRIKAM_APP);
    expect(reasonOf(verify(fabrikamApp.token, adele))).toBe('wrong_tenant');
    expect(verify(fabrikamApp.token, foreign).ok).toBe(true);
  });

  it('refuses a token without the protocol’s permission: missing_permission', async () => {
    const smtpOnly = await userToken(adele, { scp: ['SMTP.Send'] });
    expect(reasonOf(verify(smtpOnly.token, adele, 'imap'))).toBe('missing_permission');
    expect(reasonOf(verify(smtpOnly.token, adele, 'pop3'))).toBe('missing_permission');
    expect(verify(smtpOnly.token, adele, 'smtp').ok).toBe(true);
    const imapApp = await appToken(DAEMON, ['IMAP.AccessAsApp']);
    expect(reasonOf(verify(imapApp.token, adele, 'smtp'))).toBe('missing_permission');
    const noRoles = await appToken(DAEMON, []);
    expect(reasonOf(verify(noRoles.token, adele, 'imap'))).toBe('missing_permission');
  });

  it('refuses a mailbox that does not exist: unknown_mailbox', async () => {
    const { token } = await appToken();
    expect(reasonOf(verify(token, 'nobody@contoso.example'))).toBe('unknown_mailbox');
  });

  it('refuses SMTP for a mailbox with SMTP AUTH disabled, but not IMAP: smtp_auth_disabled', async () => {
    const { token } = await userToken(alex);
    expect(reasonOf(verify(token, alex, 'smtp'))).toBe('smtp_auth_disabled');
    expect(verify(token, alex, 'imap').ok).toBe(true);
  });

  it('uses the token’s own user when OAUTHBEARER names no mailbox', async () => {
    const { token } = await userToken(adele);
    expect(verifier.verify({ mechanism: 'OAUTHBEARER', user: '', token, protocol: 'imap' })).toMatchObject({
      ok: true,
      mailbox: adele,
    });
  });
});
