/**
 * `kalisto doctor` with Microsoft Graph, as a child process against the sandbox's Graph over
 * HTTPS: the Graph token and its claims, the mailbox probe, and each Graph error fixture named with
 * its fix and exit code; SMTP AUTH switched off (5.7.139) pointing to Graph; the audience mix-ups.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliRun,
  type CliSandbox,
  expectNoSecrets,
  flat,
  runKalisto,
  startCliSandbox,
} from './helpers.js';

let box: CliSandbox;
let secrets: string[];

beforeAll(async () => {
  box = await startCliSandbox();
  secrets = [...box.secrets, box.sandbox.fixtures.graph.readOnlyApp.secret];
});

afterAll(async () => {
  await box?.stop();
});

const GRAPH_BOTH = { 'mail.store.protocol': 'graph', 'mail.transport.protocol': 'graph' };

/** `kalisto doctor` on the sandbox's properties plus `-D` overrides; no secret in what it printed. */
async function doctor(
  overrides: Record<string, string>,
  ...extra: string[]
): Promise<CliRun & { out: string }> {
  const defines = Object.entries(overrides).flatMap(([k, v]) => ['-D', `${k}=${v}`]);
  const run = await runKalisto([...box.config, ...defines, 'doctor', ...extra]);
  expectNoSecrets(run, secrets);
  return { ...run, out: flat(run.stdout) };
}

describe('kalisto doctor over Microsoft Graph', () => {
  it('checks the Graph token, its roles and the mailbox, and no Outlook token', async () => {
    const adele = box.sandbox.fixtures.users.adele.upn;
    const run = await doctor(GRAPH_BOTH);
    expect(run.code).toBe(0);
    expect(run.out).toContain('✓ TLS graph 127.0.0.1:');
    expect(run.out).toMatch(
      /✓ Graph token \(client_credentials, msal\) — app [0-9a-f-]+, audience https:\/\/graph\.microsoft\.com \(Microsoft Graph\), scopes https:\/\/graph\.microsoft\.com\/\.default/,
    );
    expect(run.out).toMatch(
      /✓ Token fit for Graph \(read, send\) — audience and permissions fit \([^)]*Mail\.Send/,
    );
    expect(run.out).toMatch(
      new RegExp(`✓ Mailbox ${adele} over Graph — reachable; Inbox has \\d+ messages?`),
    );
    expect(run.out).not.toContain('Token (client_credentials');
    expect(run.out).not.toContain('Login ');
  });

  it('an app without Mail.Send (readOnlyApp): which role, and admin consent; exit 3', async () => {
    const { readOnlyApp } = box.sandbox.fixtures.graph;
    const run = await doctor({
      'mail.transport.protocol': 'graph',
      'o365.oauth.clientId': readOnlyApp.clientId,
      'o365.oauth.clientSecret': readOnlyApp.secret,
    });
    expect(run.code).toBe(3);
    expect(run.out).toContain('✗ Token fit for Graph (send)');
    expect(run.out).toContain('(CLAIMS_MISSING_PERMISSION)');
    expect(run.out).toContain(
      "fix: The token's roles (Mail.Read) lack Mail.Send: add the application permission Mail.Send of Microsoft Graph to the app registration and Grant admin consent",
    );
  });

  it('an application access policy keeping the app out: the PowerShell; exit 3', async () => {
    const mailbox = box.sandbox.fixtures.graph.policyDeniedMailbox;
    const run = await doctor({ ...GRAPH_BOTH, 'mail.graph.user': mailbox });
    expect(run.code).toBe(3);
    expect(run.out).toContain('✓ Token fit for Graph (read, send)');
    expect(run.out).toContain(`✗ Mailbox ${mailbox} over Graph`);
    expect(run.out).toContain('(GRAPH_ACCESS_POLICY_DENIED)');
    expect(run.out).toMatch(
      new RegExp(`fix: .*Test-ApplicationAccessPolicy -Identity ${mailbox} -AppId [0-9a-f-]+`),
    );
    expect(run.out).toContain('New-ApplicationAccessPolicy');
  });

  it('a mailbox Graph cannot reach (MailboxNotEnabledForRESTAPI); exit 3', async () => {
    const mailbox = box.sandbox.fixtures.graph.restApiDisabledMailbox;
    const run = await doctor({ ...GRAPH_BOTH, 'mail.graph.user': mailbox });
    expect(run.code).toBe(3);
    expect(run.out).toContain(`✗ Mailbox ${mailbox} over Graph`);
    expect(run.out).toContain('MailboxNotEnabledForRESTAPI');
    expect(run.out).toContain('(GRAPH_MAILBOX_NOT_ENABLED)');
    expect(run.out).toContain('assign a licence with Exchange Online');
  });

  it('a mailbox that does not exist (ErrorInvalidUser): which property; exit 3', async () => {
    const mailbox = box.sandbox.fixtures.graph.unknownUser;
    const run = await doctor({ ...GRAPH_BOTH, 'mail.graph.user': mailbox });
    expect(run.code).toBe(3);
    expect(run.out).toContain(`✗ Mailbox ${mailbox} over Graph`);
    expect(run.out).toContain('ErrorInvalidUser');
    expect(run.out).toContain('(GRAPH_INVALID_USER)');
    expect(run.out).toContain(`fix: Check mail.graph.user (else o365.user), now ${mailbox}`);
  });

  it('a full mailbox: reads pass, the send test names the quota fix; exit 4', async () => {
    const mailbox = box.sandbox.fixtures.graph.quotaExceededMailbox;
    const run = await doctor({ ...GRAPH_BOTH, 'mail.graph.user': mailbox }, '--send-test');
    expect(run.code).toBe(4);
    expect(run.out).toContain(`✓ Mailbox ${mailbox} over Graph`);
    expect(run.out).toContain(`✗ Send test ${mailbox}`);
    expect(run.out).toContain('(GRAPH_QUOTA_EXCEEDED)');
    expect(run.out).toContain(`fix: Free space in ${mailbox}`);
    expect(run.out).toContain('Set-Mailbox -ProhibitSendReceiveQuota');
  });

  it('a From the mailbox may not send as (ErrorSendAsDenied): Add-RecipientPermission; exit 3', async () => {
    const { mailbox, from } = box.sandbox.fixtures.graph.sendAsDenied;
    const run = await doctor(
      { 'mail.transport.protocol': 'graph', 'mail.graph.user': mailbox },
      '--from',
      from,
    );
    expect(run.code).toBe(3);
    expect(run.out).toContain(`✗ Send As ${from}`);
    expect(run.out).toContain('(GRAPH_SEND_AS_DENIED)');
    expect(run.out).toContain(
      `Add-RecipientPermission -Identity ${from} -Trustee ${mailbox} -AccessRights SendAs`,
    );
  });

  it('an Exchange Online token for Graph is named as the wrong audience, with Graph’s scope; exit 3', async () => {
    const run = await doctor({ ...GRAPH_BOTH, 'mail.graph.scope': 'https://outlook.office365.com/.default' });
    expect(run.code).toBe(3);
    expect(run.out).toContain('audience https://outlook.office365.com (Exchange Online (IMAP/POP/SMTP))');
    expect(run.out).toContain('✗ Token fit for Graph (read, send)');
    expect(run.out).toContain('(CLAIMS_WRONG_AUDIENCE)');
    expect(run.out).toContain(
      'fix: The token is for Exchange Online (aud https://outlook.office365.com), not Microsoft Graph.',
    );
    expect(run.out).toContain(
      "request Graph's scope (mail.graph.scope, default https://graph.microsoft.com/.default)",
    );
  });

  it('a Graph token for IMAP is described as a Graph token and named as the wrong audience; exit 3', async () => {
    const run = await doctor(
      { 'o365.oauth.scope': 'https://graph.microsoft.com/.default' },
      '--protocols',
      'imaps',
    );
    expect(run.code).toBe(3);
    expect(run.out).toContain('audience https://graph.microsoft.com (Microsoft Graph)');
    expect(run.out).toContain('(CLAIMS_GRAPH_AUDIENCE)');
  });

  it('SMTP AUTH switched off (535 5.7.139) offers graph, and Graph works for that mailbox', async () => {
    const alex = box.sandbox.fixtures.users.alex.upn;
    const smtp = await doctor({ 'o365.user': alex, 'mail.smtp.user': alex });
    expect(smtp.code).toBe(3);
    expect(smtp.out).toContain(`✗ Login smtp as ${alex}`);
    expect(smtp.out).toContain('5.7.139');
    expect(smtp.out).toContain('mail.transport.protocol=graph');
    expect(smtp.out).toContain(
      'Before switching, check Graph for this mailbox: kalisto doctor --protocols graph.',
    );

    const graph = await doctor({ 'o365.user': alex, 'mail.transport.protocol': 'graph' });
    expect(graph.code).toBe(0);
    expect(graph.out).toContain(`✓ Mailbox ${alex} over Graph`);
  });
});

describe('kalisto token with graph in use', () => {
  it('describes each token by its service and audits the Graph token apart; an Outlook scope for Graph is named', async () => {
    const token = (overrides: Record<string, string>) =>
      runKalisto([
        ...box.config,
        ...Object.entries(overrides).flatMap(([k, v]) => ['-D', `${k}=${v}`]),
        'token',
      ]);
    const good = await token({ 'mail.transport.protocol': 'graph' });
    expectNoSecrets(good, secrets);
    expect(good.code).toBe(0);
    const out = flat(good.stdout);
    expect(out).toContain('audience https://outlook.office365.com (Exchange Online (IMAP/POP/SMTP))');
    expect(out).toContain(
      '✓ Graph token (https://graph.microsoft.com/.default): audience https://graph.microsoft.com (Microsoft Graph), Mail.Read Mail.ReadWrite Mail.Send',
    );
    expect(out).toContain('✓ fit for graph');

    const mixed = await token({
      'mail.transport.protocol': 'graph',
      'mail.graph.scope': 'https://outlook.office365.com/.default',
    });
    expectNoSecrets(mixed, secrets);
    expect(flat(mixed.stdout)).toContain(
      '! graph: The token is for Exchange Online (aud https://outlook.office365.com), not Microsoft Graph.',
    );
    expect(flat(mixed.stdout)).toContain('(WRONG_AUDIENCE)');
  });
});
