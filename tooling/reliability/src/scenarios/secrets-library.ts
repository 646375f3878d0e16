/**
 * The library at debug level (protocol traces on) through a representative subset — IMAP, POP3,
 * SMTP, three token flows, refused credentials and tokens — with every log line and every error
 * (causes included) captured: no fixture secret, refresh token or JWT may appear in any of them.
 */
import { memoryCache } from '@kalisto/cache-memory';
import type { KalistoSession } from '@kalisto/core';
import type { Pop3Client } from '@kalisto/protocol-pop3';
import type { SmtpTransporter } from '@kalisto/protocol-smtp';
import type { Sandbox } from '@kalisto/sandbox';
import { claimsOf, publicAppProperties, recordingLogger } from '@kalisto/test-support';
import type { ImapFlow } from 'imapflow';
import { Findings, type Scenario, type ScenarioContext } from '../scenario.js';
import { everythingSaid } from '../support/errors.js';
import { Exposure } from '../support/exposure.js';
import { fixtureSecrets } from '../support/fixture-secrets.js';
import { logLineText, suiteKalisto } from '../support/kalisto.js';
import { scenarioSandbox } from '../support/sandbox.js';

/** Steps expected to fail (refused credentials and mailboxes): their errors are part of what is scanned. */
const FAILING = new Set([
  'wrong client secret',
  'wrong password',
  'expired client secret',
  "another user's mailbox refused (IMAP)",
]);

/** The steps, each run once. */
function steps(sandbox: Sandbox, open: (overrides: Record<string, string>) => KalistoSession) {
  const { adele, megan } = sandbox.fixtures.users;
  const delegated = (upn: string, password: string, extra: Record<string, string> = {}) => ({
    ...publicAppProperties(
      sandbox,
      'password',
      upn,
      'https://outlook.office.com/IMAP.AccessAsUser.All offline_access',
    ),
    'o365.password': password,
    ...extra,
  });
  return {
    'IMAP list and fetch (client credentials)': async () => {
      const imap = (await open({}).store('imaps')) as ImapFlow;
      await imap.list();
      await imap.mailboxOpen('INBOX');
      await imap.fetchOne('*', { source: true });
    },
    'POP3 list and RETR': async () => {
      const pop3 = (await open({}).store('pop3s')) as Pop3Client;
      await pop3.list();
      await pop3.retrBuffer(1);
      await pop3.quit();
    },
    'SMTP send': async () => {
      const smtp = (await open({}).transport('smtp')) as SmtpTransporter;
      await smtp.sendMail({ from: adele.upn, to: megan.upn, subject: 'secrets scan', text: 'hello' });
    },
    'password grant + IMAP (msal)': async () =>
      void (await open(delegated(adele.upn, adele.password)).store('imaps')),
    'password grant with offline_access, refresh token kept in the cache (oauth2)': async () =>
      void (await open(
        delegated(megan.upn, megan.password, { 'o365.oauth.provider': 'oauth2' }),
      ).tokens.getToken()),
    'wrong client secret': async () =>
      void (await open({
        'o365.oauth.clientSecret': `${sandbox.fixtures.confidentialApp.secret}x`,
      }).tokens.getToken()),
    'wrong password': async () =>
      void (await open(delegated(adele.upn, `${adele.password}x`)).tokens.getToken()),
    'expired client secret': async () =>
      void (await open({
        'o365.oauth.clientSecret': sandbox.fixtures.confidentialApp.expiredSecret,
      }).tokens.getToken()),
    'revoked token refused by IMAP, then renewed': async () => {
      const session = open({});
      const token = await session.tokens.getToken();
      sandbox.hooks.revokeToken(String(claimsOf(token.accessToken).jti));
      await session.store('imaps');
    },
    "another user's mailbox refused (IMAP)": async () =>
      void (await open(delegated(megan.upn, megan.password, { 'mail.imaps.user': adele.upn })).store(
        'imaps',
      )),
  };
}

async function run(context: ScenarioContext) {
  const sandbox = await scenarioSandbox(context);
  sandbox.store.seed(sandbox.properties['o365.user'] ?? '', { count: 2, size: 4_000 });
  const logger = recordingLogger();
  const cache = memoryCache();
  const kalisto = suiteKalisto({ logger, caches: [cache] });
  context.defer(() => kalisto.close());
  const open = (overrides: Record<string, string>) =>
    kalisto.session({ ...sandbox.properties, 'mail.debug': 'true', ...overrides });
  const exposure = new Exposure();
  const findings = new Findings();
  const failed: string[] = [];
  for (const [name, step] of Object.entries(steps(sandbox, open))) {
    try {
      await step();
      if (FAILING.has(name)) findings.fail(`"${name}" did not fail`);
    } catch (error) {
      failed.push(`${name} (${(error as Error).name} ${(error as { code?: string }).code ?? ''})`);
      exposure.add(`the error of "${name}"`, everythingSaid(error));
      if (!FAILING.has(name)) findings.fail(`"${name}" failed`);
    }
  }
  for (const [index, line] of logger.lines.entries())
    exposure.add(`log line ${index + 1} (${line.level})`, logLineText(line));
  const leaks = exposure.leaks(fixtureSecrets(sandbox));
  findings.fact(`failed: ${failed.join(', ')}`);
  findings.fact(
    `${logger.lines.length} log lines (${logger.lines.filter((l) => l.level === 'debug').length} debug), ${failed.length} errors with their causes`,
  );
  findings.check(
    leaks.length === 0,
    leaks.length === 0 ? 'no secret, refresh token or JWT in any of them' : `leaked: ${leaks.join('; ')}`,
  );
  return findings.outcome();
}

export const scenarios: readonly Scenario[] = [
  {
    id: 'debug-logs-and-errors',
    title: 'Secrets: library at debug level',
    injected:
      'mail.debug=true and a capturing pino-shaped logger; IMAP, POP3, SMTP, client credentials, password and refresh-token grants, then a wrong secret, a wrong password, an expired secret, a revoked token, a foreign mailbox',
    expected:
      'no password, client secret, private key, refresh token or JWT (also inside base64, e.g. a SASL trace) in any log line or error',
    deadlineMs: 120_000,
    run,
  },
];
