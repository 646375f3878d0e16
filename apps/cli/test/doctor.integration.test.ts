import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliSandbox, expectNoSecrets, flat, runKalisto, startCliSandbox } from './helpers.js';

let box: CliSandbox;

beforeAll(async () => {
  box = await startCliSandbox();
});

afterAll(async () => {
  await box?.stop();
});

/** `kalisto doctor` on the sandbox's properties plus `-D` overrides. */
function doctor(overrides: Record<string, string>, ...extra: string[]) {
  const defines = Object.entries(overrides).flatMap(([k, v]) => ['-D', `${k}=${v}`]);
  return runKalisto([...box.config, ...defines, 'doctor', ...extra]);
}

/** The properties of a delegated (password grant) login of `upn`. */
function delegated(upn: string, password: string, clientId = box.sandbox.fixtures.publicApp.clientId) {
  return {
    'o365.oauth.flow': 'password',
    'o365.oauth.clientId': clientId,
    'o365.oauth.clientSecret': '',
    'o365.oauth.scope': 'https://outlook.office.com/.default',
    'o365.user': upn,
    'o365.password': password,
    'mail.smtp.user': upn,
  };
}

describe('kalisto doctor', () => {
  it('passes every check of all six protocols on a good configuration', async () => {
    const run = await doctor({}, '--all');
    expect(run.code).toBe(0);
    for (const line of [
      '✓ Configuration',
      '✓ DNS 127.0.0.1',
      '✓ TLS identity',
      '✓ TLS imap ',
      '✓ TLS pop3 ',
      '✓ TLS smtp ',
      '✓ Token (client_credentials, msal)',
      '✓ Token fit for IMAP',
      '✓ Token fit for POP3',
      '✓ Token fit for SMTP',
      '✓ Login imap as adele@contoso.example',
      '✓ Login imaps as adele@contoso.example',
      '✓ Login pop3 as',
      '✓ Login pop3s as',
      '✓ Login smtp as',
      '✓ Login smtps as',
    ]) {
      expect(run.stdout).toContain(line);
    }
    expect(run.stdout).toMatch(/TLS imap 127\.0\.0\.1:\d+ — STARTTLS, TLSv1\.[23]/);
    expect(run.stdout).toMatch(/All \d+ checks passed\./);
    expectNoSecrets(run, box.secrets);
  });

  it('diagnoses a bad client secret (AADSTS7000215) and skips what needs the token', async () => {
    const run = await doctor({ 'o365.oauth.clientSecret': 'Bad8Q~not-the-secret-value' });
    expect(run.code).toBe(3);
    const out = flat(run.stdout);
    expect(out).toContain('✗ Token (client_credentials, msal)');
    expect(out).toContain('AADSTS7000215');
    expect(out).toContain("fix: Use the secret's Value, not its ID (Secret ID)");
    expect(out).toContain('- Login imaps as adele@contoso.example — skipped: needs Token');
    // Independent checks still ran.
    expect(out).toContain('✓ TLS imaps');
    expectNoSecrets(run, [...box.secrets, 'Bad8Q~not-the-secret-value']);
  });

  it('diagnoses missing admin consent (AADSTS65001)', async () => {
    const { unconsentedApp, users } = box.sandbox.fixtures;
    const run = await doctor(delegated(users.megan.upn, users.megan.password, unconsentedApp.clientId));
    expect(run.code).toBe(3);
    const out = flat(run.stdout);
    expect(out).toContain('AADSTS65001');
    expect(out).toContain('fix: An administrator must "Grant admin consent"');
    expectNoSecrets(run, box.secrets);
  });

  it('diagnoses an app-only token without the Exchange roles (no consent for the application permissions)', async () => {
    const { unconsentedApp } = box.sandbox.fixtures;
    const run = await doctor({
      'o365.oauth.clientId': unconsentedApp.clientId,
      'o365.oauth.clientSecret': unconsentedApp.secret,
    });
    expect(run.code).toBe(3);
    const out = flat(run.stdout);
    expect(out).toContain('✗ Token fit for IMAP');
    expect(out).toContain('(CLAIMS_MISSING_PERMISSION)');
    expect(out).toContain('lacks the application permission (roles) IMAP.AccessAsApp');
    expect(out).toContain('Grant admin consent');
    expect(out).toContain('✗ Login imaps as adele@contoso.example');
    expect(out).toContain('NO AUTHENTICATE failed.');
    expectNoSecrets(run, box.secrets);
  });

  it('diagnoses a Microsoft Graph token (the wrong scope)', async () => {
    const run = await doctor({ 'o365.oauth.scope': 'https://graph.microsoft.com/.default' });
    expect(run.code).toBe(3);
    const out = flat(run.stdout);
    expect(out).toContain('(CLAIMS_GRAPH_AUDIENCE)');
    expect(out).toContain(
      'The token is for Microsoft Graph (aud https://graph.microsoft.com), not Exchange Online',
    );
    expect(out).toContain('https://outlook.office365.com/.default (app-only)');
  });

  it('diagnoses a mailbox the identity was not granted ("User is authenticated but not connected.")', async () => {
    const { users } = box.sandbox.fixtures;
    const run = await doctor({
      ...delegated(users.megan.upn, users.megan.password),
      'mail.imaps.user': users.adele.upn,
    });
    expect(run.code).toBe(3);
    const out = flat(run.stdout);
    expect(out).toContain('✗ Login imaps as adele@contoso.example');
    expect(out).toContain('User is authenticated but not connected.');
    expect(out).toContain('(AUTH_MAILBOX_NOT_CONNECTED)');
    expect(out).toContain("New-ServicePrincipal with the enterprise application's object id");
    expect(out).toContain('Add-MailboxPermission');
    expectNoSecrets(run, box.secrets);
  });

  it('diagnoses SMTP AUTH switched off for the mailbox (535 5.7.139)', async () => {
    const alex = box.sandbox.fixtures.users.alex.upn;
    const run = await doctor({ 'o365.user': alex, 'mail.smtp.user': alex });
    expect(run.code).toBe(3);
    const out = flat(run.stdout);
    expect(out).toContain(`✓ Login imaps as ${alex}`);
    expect(out).toContain(`✗ Login smtp as ${alex}`);
    expect(out).toContain('5.7.139');
    expect(out).toContain(
      'fix: Enable SMTP AUTH for the mailbox: Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false',
    );
  });

  it('diagnoses a sender the login may not send as (SendAs denied)', async () => {
    const megan = box.sandbox.fixtures.users.megan.upn;
    const run = await doctor({}, '--from', megan);
    expect(run.code).toBe(3);
    const out = flat(run.stdout);
    expect(out).toContain(`✗ Send As ${megan}`);
    expect(out).toContain('SendAsDenied');
    expect(out).toContain('(SEND_AS_DENIED)');
    expect(out).toContain(
      'Add-RecipientPermission -Identity <sender> -Trustee <mailbox> -AccessRights SendAs',
    );
    // Nothing was delivered: the server refused at MAIL FROM.
    expect(
      box.sandbox.store
        .mailbox(megan)
        ?.folder('Inbox')
        ?.messages.filter((m) => m.raw.includes('Send As check')),
    ).toHaveLength(0);
  });

  it('says how to trust a CA it does not know, and exits 4', async () => {
    const run = await doctor({ 'kalisto.tls.ca': '' });
    expect(run.code).toBe(4);
    const out = flat(run.stdout);
    expect(out).toContain('✗ TLS identity');
    expect(out).toContain('(DOCTOR_TLS_UNTRUSTED)');
    expect(out).toContain('kalisto.tls.ca=file:/path/to/ca.pem');
    expect(out).toContain('skipped: needs TLS identity');
  });

  it('reports a refused port with the fix, and checks the rest', async () => {
    const run = await doctor({ 'mail.smtp.port': '1' });
    expect(run.code).toBe(4);
    const out = flat(run.stdout);
    expect(out).toContain('✗ TCP 127.0.0.1:1');
    expect(out).toContain('(DOCTOR_TCP_FAILED)');
    expect(out).toContain('✓ Login imaps as adele@contoso.example');
    expect(out).toContain('- Login smtp as adele@contoso.example — skipped: needs TLS smtp 127.0.0.1:1');
  });

  it('reports a configuration problem as its first check (exit 2), and everything as JSON', async () => {
    const bad = await runKalisto(['doctor']);
    expect(bad.code).toBe(2);
    expect(flat(bad.stdout)).toContain('✗ Configuration');
    expect(flat(bad.stdout)).toContain('fix: Fix the properties listed above.');

    const json = await doctor({ 'o365.oauth.clientSecret': 'Bad8Q~x-json' }, '--json');
    expect(json.code).toBe(3);
    const document = JSON.parse(json.stdout);
    expect(document.ok).toBe(false);
    const token = document.checks.find((c: { id: string }) => c.id === 'token');
    expect(token).toMatchObject({ status: 'failed', code: 'TOKEN_INVALID_CLIENT_SECRET', exitCode: 3 });
    expect(token.fix).toContain("secret's Value");
  });
});
