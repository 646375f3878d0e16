/**
 * Connections reset mid-FETCH, mid-RETR and mid-DATA (a proxy between Kalisto and the sandbox cuts
 * them): no message lost or duplicated, an interrupted send reported as a failure.
 */
import { createHash } from 'node:crypto';
import { watch } from '@kalisto/protocol-imap';
import type { Pop3Client } from '@kalisto/protocol-pop3';
import type { SmtpTransporter } from '@kalisto/protocol-smtp';
import type { Sandbox } from '@kalisto/sandbox';
import { Findings, type Scenario, type ScenarioContext, scenarioOf } from '../scenario.js';
import { startCuttingProxy } from '../support/cutting-proxy.js';
import { errorLabel, summarizeError } from '../support/errors.js';
import { judgeError } from '../support/judge.js';
import { suiteKalisto } from '../support/kalisto.js';
import { clientSecrets, mailProperties, scenarioSandbox } from '../support/sandbox.js';
import { waitUntil } from '../support/wait.js';

const inbox = (sandbox: Sandbox, address: string) =>
  sandbox.store.mailbox(address)?.folder('Inbox')?.messages ?? [];
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function openSession(context: ScenarioContext, properties: Record<string, string>) {
  const kalisto = suiteKalisto();
  context.defer(() => kalisto.close());
  return kalisto.session(properties);
}

async function midFetch(context: ScenarioContext): Promise<Findings> {
  const sandbox = await scenarioSandbox(context);
  const user = sandbox.properties['o365.user'] ?? '';
  sandbox.store.seed(user, { count: 40, size: 20_000 });
  const proxy = await startCuttingProxy(context, {
    target: sandbox.endpoints.imaps,
    direction: 'downstream',
    afterBytes: 300_000,
    times: 2,
  });
  const session = openSession(context, mailProperties(sandbox, 'imaps', { port: proxy.port, tls: true }));
  const handled = new Map<number, number>();
  const errors: string[] = [];
  const watcher = watch(
    session,
    'INBOX',
    (message) => void handled.set(message.uid, (handled.get(message.uid) ?? 0) + 1),
    {
      start: 'all',
      batchSize: 10,
      backoff: { initialMs: 100, maxMs: 500 },
      onError: (error) => void errors.push(errorLabel(summarizeError(error))),
    },
  );
  context.defer(() => watcher.stop());
  const findings = new Findings();
  await waitUntil(() => handled.size >= 40, 45_000);
  // New mail while the resumed watcher idles is delivered too.
  sandbox.store.seed(user, { count: 5, size: 2_000 });
  await waitUntil(() => handled.size >= 45, 20_000);
  await watcher.stop();
  const duplicates = [...handled.values()].filter((times) => times > 1).length;
  findings.check(
    proxy.cuts() === 2,
    `${proxy.cuts()} connections reset mid-FETCH, ${proxy.connections()} opened`,
  );
  findings.check(
    handled.size === 45,
    `${handled.size} of 45 messages handled (40 before the cuts, 5 arriving after)`,
  );
  findings.check(duplicates === 0, `${duplicates} handled twice`);
  findings.fact(`watcher reported: ${errors.join(', ') || 'nothing'}`);
  return findings;
}

async function midRetr(context: ScenarioContext): Promise<Findings> {
  const sandbox = await scenarioSandbox(context);
  const user = sandbox.properties['o365.user'] ?? '';
  sandbox.store.seed(user, { count: 30, size: 20_000 });
  const stored = new Set(inbox(sandbox, user).map((m) => sha(m.raw)));
  const proxy = await startCuttingProxy(context, {
    target: sandbox.endpoints.pop3s,
    direction: 'downstream',
    afterBytes: 250_000,
    times: 1,
  });
  const properties = mailProperties(sandbox, 'pop3s', { port: proxy.port, tls: true });
  const findings = new Findings();
  // First session: RETR and DELE one by one; the connection is reset part-way, before QUIT.
  const first = (await openSession(context, properties).store('pop3s')) as Pop3Client;
  let retrieved = 0;
  try {
    for (let n = 1; n <= 30; n++) {
      await first.retrBuffer(n);
      await first.dele(n);
      retrieved++;
    }
    await first.quit();
    findings.check(false, 'the interrupted session completed');
  } catch (error) {
    findings.fact(`the interrupted session (after ${retrieved} RETR+DELE):`);
    judgeError(findings, summarizeError(error, clientSecrets(sandbox)), { class: 'ConnectionError' });
  }
  findings.check(
    inbox(sandbox, user).length === 30,
    `the server still holds ${inbox(sandbox, user).length} of 30 (no QUIT, no deletion)`,
  );
  // Second session: everything again, then DELE all and QUIT.
  const second = (await openSession(context, properties).store('pop3s')) as Pop3Client;
  const downloaded = await second.download();
  for (const message of downloaded) await second.dele(message.number);
  await second.quit();
  const digests = downloaded.map((m) => sha(m.data));
  const exact = digests.filter((d) => stored.has(d));
  findings.check(
    downloaded.length === 30 && new Set(exact).size === 30,
    `the next session downloaded ${downloaded.length}, ${new Set(exact).size} distinct and byte-exact`,
  );
  findings.check(
    inbox(sandbox, user).length === 0,
    `after its QUIT the server holds ${inbox(sandbox, user).length}`,
  );
  return findings;
}

async function midData(context: ScenarioContext): Promise<Findings> {
  const sandbox = await scenarioSandbox(context);
  const from = sandbox.properties['o365.user'] ?? '';
  const to = sandbox.fixtures.users.megan.upn;
  const proxy = await startCuttingProxy(context, {
    target: sandbox.endpoints.smtps,
    direction: 'upstream',
    afterBytes: 100_000,
    times: 1,
  });
  const properties = mailProperties(
    sandbox,
    'smtps',
    { port: proxy.port, tls: true },
    { 'mail.smtps.user': from },
  );
  const transport = (await openSession(context, properties).transport('smtps')) as SmtpTransporter;
  const messageId = `<reset-mid-data.${Date.now()}@kalisto.test>`;
  const mail = { from, to, subject: 'reset mid-DATA', messageId, text: 'x'.repeat(300_000) };
  const delivered = () => inbox(sandbox, to).filter((m) => m.raw.includes(messageId)).length;
  const findings = new Findings();
  try {
    await transport.sendMail(mail);
    findings.check(false, 'sendMail reported success for the interrupted send');
  } catch (error) {
    findings.fact('the interrupted send:');
    judgeError(findings, summarizeError(error, clientSecrets(sandbox)), { class: 'ConnectionError' });
  }
  findings.check(proxy.cuts() === 1, `${proxy.cuts()} connection reset mid-DATA`);
  findings.check(delivered() === 0, `${delivered()} copies delivered by the interrupted send`);
  await transport.sendMail(mail);
  findings.check(delivered() === 1, `the retried send succeeded: ${delivered()} copy delivered`);
  return findings;
}

export const scenarios: readonly Scenario[] = [
  scenarioOf(
    {
      id: 'mid-fetch',
      title: 'Reset mid-FETCH: IMAP watch resumes by UID',
      injected:
        '`watch()` of an Inbox of 40 × 20 KB through a proxy that resets the first two connections after 300 KB (mid-FETCH); then 5 new messages',
      expected:
        'every message handed to the handler exactly once (resumed after the last UID handled), new mail included',
      deadlineMs: 120_000,
    },
    midFetch,
  ),
  scenarioOf(
    {
      id: 'mid-retr',
      title: 'Reset mid-RETR: POP3 loses nothing',
      injected:
        'RETR+DELE of 30 × 20 KB one by one; the connection is reset after 250 KB (mid-RETR, before QUIT); then a new session downloads and deletes all',
      expected:
        'the interrupted session fails with a Kalisto ConnectionError; the server still holds all 30; the next session gets all 30 byte-exact, once each, and QUIT empties the maildrop',
      deadlineMs: 120_000,
    },
    midRetr,
  ),
  scenarioOf(
    {
      id: 'mid-data',
      title: 'Reset mid-DATA: an interrupted send is a failure',
      injected:
        'a 300 KB message over SMTPS; the proxy resets the connection after 100 KB from the client (mid-DATA); then the same send again',
      expected:
        'sendMail rejects with a Kalisto ConnectionError (never a silent success); nothing is delivered; the retry delivers exactly one copy',
      deadlineMs: 120_000,
    },
    midData,
  ),
];
