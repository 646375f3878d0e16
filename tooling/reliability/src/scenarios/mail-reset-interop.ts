/**
 * The resets of mail-reset against servers nobody here wrote: Postfix (mid-DATA) and Dovecot
 * (mid-RETR), from Debian's packages via tooling/interop-servers, validating sandbox tokens.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type RunningDovecot, startDovecot, startPostfix } from '@kalisto/interop-servers';
import type { Pop3Client } from '@kalisto/protocol-pop3';
import type { SmtpTransporter } from '@kalisto/protocol-smtp';
import { publicAppProperties } from '@kalisto/test-support';
import { Findings, type Scenario, type ScenarioContext, scenarioOf } from '../scenario.js';
import { startCuttingProxy } from '../support/cutting-proxy.js';
import { summarizeError } from '../support/errors.js';
import { judgeError } from '../support/judge.js';
import { suiteKalisto } from '../support/kalisto.js';
import { mailProperties, scenarioSandbox } from '../support/sandbox.js';
import { waitUntil } from '../support/wait.js';

const SCOPES = 'https://outlook.office.com/SMTP.Send https://outlook.office.com/POP.AccessAsUser.All';

async function servers(context: ScenarioContext) {
  const sandbox = await scenarioSandbox(context, { mail: false });
  const { adele, megan } = sandbox.fixtures.users;
  const tls = { ca: sandbox.ca, cert: sandbox.tls.cert, key: sandbox.tls.key };
  const dovecot = await startDovecot({ introspectionUrl: sandbox.endpoints.introspectionUrl, ...tls });
  context.defer(() => dovecot.stop());
  const postfix = await startPostfix({
    dovecot,
    cert: tls.cert,
    key: tls.key,
    mailboxes: [adele.upn, megan.upn],
  });
  context.defer(() => postfix.stop());
  const kalisto = suiteKalisto();
  context.defer(() => kalisto.close());
  /** A delegated session of `user` with `protocol` pointed at 127.0.0.1:port. */
  const session = (user: { upn: string; password: string }, protocol: string, port: number) =>
    kalisto.session(
      mailProperties(
        sandbox,
        protocol,
        { port, tls: true },
        {
          ...publicAppProperties(sandbox, 'password', user.upn, SCOPES),
          'o365.password': user.password,
          [`mail.${protocol}.user`]: user.upn,
        },
      ),
    );
  return { sandbox, adele, megan, dovecot, postfix, session };
}

/** The messages in a Dovecot maildir (new and cur), as stored. */
async function maildir(dovecot: RunningDovecot, address: string): Promise<Buffer[]> {
  const files: Buffer[] = [];
  for (const sub of ['new', 'cur']) {
    const dir = join(dovecot.mailRoot, address, sub);
    for (const name of await readdir(dir).catch(() => [])) files.push(await readFile(join(dir, name)));
  }
  return files;
}

async function midData(context: ScenarioContext): Promise<Findings> {
  const { adele, megan, dovecot, postfix, session } = await servers(context);
  const proxy = await startCuttingProxy(context, {
    target: { host: '127.0.0.1', port: postfix.smtps },
    direction: 'upstream',
    afterBytes: 100_000,
    times: 1,
  });
  const transport = (await session(adele, 'smtps', proxy.port).transport('smtps')) as SmtpTransporter;
  const messageId = `<postfix-reset.${Date.now()}@kalisto.test>`;
  const mail = {
    from: adele.upn,
    to: megan.upn,
    subject: 'reset mid-DATA (Postfix)',
    messageId,
    text: 'y'.repeat(300_000),
  };
  const copies = async () => (await maildir(dovecot, megan.upn)).filter((m) => m.includes(messageId)).length;
  const findings = new Findings();
  try {
    await transport.sendMail(mail);
    findings.check(false, 'sendMail reported success for the interrupted send');
  } catch (error) {
    judgeError(findings, summarizeError(error), { class: 'ConnectionError' }, 'the interrupted send');
  }
  findings.check(proxy.cuts() === 1, `${proxy.cuts()} connection reset mid-DATA`);
  await transport.sendMail(mail);
  await waitUntil(async () => (await copies()) >= 1, 20_000);
  // Postfix delivers asynchronously: a second look after the retried copy arrived.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  findings.check(
    (await copies()) === 1,
    `after the retry Postfix delivered ${await copies()} copy (none from the interrupted send)`,
  );
  return findings;
}

async function midRetr(context: ScenarioContext): Promise<Findings> {
  const { adele, megan, dovecot, postfix, session } = await servers(context);
  const transport = (await session(adele, 'smtps', postfix.smtps).transport('smtps')) as SmtpTransporter;
  for (let i = 0; i < 20; i++) {
    await transport.sendMail({
      from: adele.upn,
      to: megan.upn,
      subject: `for POP3 ${i}`,
      text: `${i} `.repeat(8_000),
    });
  }
  await waitUntil(async () => (await maildir(dovecot, megan.upn)).length >= 20, 20_000);
  const stored = await maildir(dovecot, megan.upn);
  const proxy = await startCuttingProxy(context, {
    target: { host: '127.0.0.1', port: dovecot.pop3s },
    direction: 'downstream',
    afterBytes: 150_000,
    times: 1,
  });
  const findings = new Findings();
  findings.fact(`${stored.length} messages delivered to Dovecot through Postfix`);
  const first = (await session(megan, 'pop3s', proxy.port).store('pop3s')) as Pop3Client;
  let retrieved = 0;
  try {
    for (let n = 1; n <= stored.length; n++) {
      await first.retrBuffer(n);
      await first.dele(n);
      retrieved++;
    }
    findings.check(false, 'the interrupted session completed');
  } catch (error) {
    judgeError(
      findings,
      summarizeError(error),
      { class: 'ConnectionError' },
      `the session reset after ${retrieved} RETR+DELE`,
    );
  }
  findings.check(
    (await maildir(dovecot, megan.upn)).length === stored.length,
    `Dovecot still holds ${(await maildir(dovecot, megan.upn)).length} of ${stored.length}`,
  );
  const second = (await session(megan, 'pop3s', proxy.port).store('pop3s')) as Pop3Client;
  const downloaded = await second.download();
  for (const message of downloaded) await second.dele(message.number);
  await second.quit();
  const ids = new Set(downloaded.map((m) => /^Message-ID: *(.+)$/im.exec(m.data.toString('latin1'))?.[1]));
  findings.check(
    downloaded.length === stored.length && ids.size === stored.length,
    `the next session downloaded ${downloaded.length}, ${ids.size} distinct`,
  );
  findings.check(
    (await maildir(dovecot, megan.upn)).length === 0,
    `after its QUIT Dovecot holds ${(await maildir(dovecot, megan.upn)).length}`,
  );
  return findings;
}

export const scenarios: readonly Scenario[] = [
  scenarioOf(
    {
      id: 'mid-data-postfix',
      title: 'Reset mid-DATA against Postfix',
      injected:
        'a 300 KB message to Postfix (SMTPS, SASL through Dovecot, delegated sandbox token); the connection reset after 100 KB from the client; then the same send again',
      expected:
        "sendMail rejects with a Kalisto ConnectionError; Postfix delivers exactly one copy (the retry's)",
      deadlineMs: 180_000,
    },
    midData,
  ),
  scenarioOf(
    {
      id: 'mid-retr-dovecot',
      title: 'Reset mid-RETR against Dovecot',
      injected:
        '20 messages delivered by Postfix to a Dovecot maildir; POP3S RETR+DELE one by one, the connection reset after 150 KB; then a new session downloads and deletes all',
      expected:
        'the interrupted session fails with a Kalisto ConnectionError; Dovecot keeps all 20; the next session gets 20 distinct messages and QUIT empties the maildir',
      deadlineMs: 180_000,
    },
    midRetr,
  ),
];
