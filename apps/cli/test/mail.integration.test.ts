import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CliSandbox, expectNoSecrets, runKalisto, startCliSandbox } from './helpers.js';

let box: CliSandbox;
let adele: string;
let megan: string;

beforeAll(async () => {
  box = await startCliSandbox();
  adele = box.sandbox.fixtures.users.adele.upn;
  megan = box.sandbox.fixtures.users.megan.upn;
});

afterAll(async () => {
  await box?.stop();
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Counts the logins the sandbox's mail servers check (one per AUTH command). */
const countLogins = () => vi.spyOn(box.sandbox.verifier, 'verify');

const kalisto = (...args: string[]) => runKalisto([...box.config, ...args]);

function inbox(address: string) {
  return box.sandbox.store.mailbox(address)?.folder('Inbox')?.messages ?? [];
}

function deliver(to: string, subject: string, body = 'Hello.') {
  const raw = `From: megan@contoso.example\r\nTo: ${to}\r\nSubject: ${subject}\r\nDate: Sun, 29 Nov 2026 06:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, '')}@test>\r\n\r\n${body}\r\n`;
  box.sandbox.store.deliver([to], Buffer.from(raw));
}

describe('kalisto send', () => {
  it('sends a text message with an attachment over smtp (STARTTLS)', async () => {
    const attachment = join(box.dir, 'report.csv');
    await writeFile(attachment, 'a,b\n1,2\n');
    const logins = countLogins();
    const run = await kalisto(
      'send',
      '--to',
      megan,
      '--subject',
      'Quarterly report',
      '--text',
      'See attached.',
      '--attach',
      attachment,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/✓ Sent <[^>]+> from adele@contoso\.example/);
    expect(run.stdout).toContain(`accepted: ${megan}`);
    const raw = inbox(megan)
      .map((m) => m.raw.toString())
      .find((r) => r.includes('Quarterly report'));
    expect(raw).toContain('See attached.');
    expect(raw).toContain('report.csv');
    // One AUTH: the send's own login, no separate check before it.
    expect(logins.mock.calls.map(([request]) => request.protocol)).toEqual(['smtp']);
    expectNoSecrets(run, box.secrets);
  });

  it('reads the body from standard input and sends over smtps to several recipients', async () => {
    const logins = countLogins();
    const run = await runKalisto(
      [
        ...box.config,
        'send',
        '--protocol',
        'smtps',
        '--to',
        `${adele},${megan}`,
        '--subject',
        'Piped body',
        '--json',
      ],
      { stdin: 'Typed into a pipe.\n' },
    );
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout);
    expect(document.accepted).toEqual([adele, megan]);
    expect(logins.mock.calls.map(([request]) => request.protocol)).toEqual(['smtp']);
    expect(inbox(adele).some((m) => m.raw.toString().includes('Typed into a pipe.'))).toBe(true);
  });

  it('sends an HTML body from a file', async () => {
    const file = join(box.dir, 'body.html');
    await writeFile(file, '<p>Hello <b>HTML</b></p>');
    const run = await kalisto('send', '--to', adele, '--subject', 'Html body', '--body-file', file);
    expect(run.code).toBe(0);
    const raw = inbox(adele)
      .map((m) => m.raw.toString())
      .find((r) => r.includes('Html body'));
    expect(raw).toContain('text/html');
  });

  it('exits 2 for two bodies or a missing --to, and 3 when Send As is denied', async () => {
    const two = await kalisto('send', '--to', adele, '--subject', 's', '--text', 'a', '--html', 'b');
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('Give one of --text, --html and --body-file.');
    const noTo = await kalisto('send', '--subject', 's', '--text', 'a');
    expect(noTo.code).toBe(2);
    expect(noTo.stderr).toContain("required option '--to <address>' not specified");
    const denied = await kalisto(
      'send',
      '--from',
      megan,
      '--to',
      adele,
      '--subject',
      'Not mine',
      '--text',
      'x',
    );
    expect(denied.code).toBe(3);
    expect(denied.stderr).toContain('(SEND_AS_DENIED)');
    expect(denied.stderr).toContain('Add-RecipientPermission');
  });
});

describe('kalisto folders, list, read', () => {
  it('lists the folders with counts', async () => {
    deliver(adele, 'Folder count');
    const run = await kalisto('folders');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^FOLDER +SPECIAL +MESSAGES +UNSEEN/);
    expect(run.stdout).toMatch(/\nINBOX +\\Inbox +\d+ +\d+/);
    expect(run.stdout).toMatch(/\nSent Items +\\Sent/);
    const json = JSON.parse((await kalisto('folders', '--json')).stdout);
    expect(json.folders.map((f: { path: string }) => f.path)).toContain('Deleted Items');
  });

  it('lists a page of messages, newest first, and reads one with its attachment list', async () => {
    for (const n of [1, 2, 3]) deliver(adele, `Paged message ${n}`);
    const first = await kalisto('list', '--limit', '2');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^UID +DATE \(UTC\) +FROM +SUBJECT +SIZE/);
    const lines = first.stdout.trim().split('\n');
    expect(lines[1]).toContain('Paged message 3');
    expect(lines[2]).toContain('Paged message 2');
    expect(first.stdout).toMatch(/INBOX: page 1 of \d+, \d+ messages/);

    const second = JSON.parse(
      (await kalisto('list', 'INBOX', '--limit', '2', '--page', '2', '--json')).stdout,
    );
    expect(second.page).toBe(2);
    expect(second.messages[0].subject).toBe('Paged message 1');
    const uid = second.messages[0].uid as number;

    const read = await kalisto('read', String(uid));
    expect(read.code).toBe(0);
    expect(read.stdout).toContain('From:    megan@contoso.example');
    expect(read.stdout).toContain('Subject: Paged message 1');
    expect(read.stdout).toContain('Hello.');
  });

  it('reads a multipart message: text body and the attachment list', async () => {
    const raw = [
      'From: megan@contoso.example',
      `To: ${adele}`,
      'Subject: With attachment',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'The numbers are attached.',
      '--b1',
      'Content-Type: text/csv; name="numbers.csv"',
      'Content-Disposition: attachment; filename="numbers.csv"',
      '',
      'a,b',
      '1,2',
      '--b1--',
      '',
    ].join('\r\n');
    box.sandbox.store.deliver([adele], Buffer.from(raw));
    const uid = box.sandbox.store.mailbox(adele)?.folder('Inbox')?.messages.at(-1)?.uid;
    const read = await kalisto('read', String(uid));
    expect(read.code).toBe(0);
    expect(read.stdout).toContain('Subject: With attachment');
    expect(read.stdout).toContain('Attached: numbers.csv (text/csv');
    expect(read.stdout).toContain('The numbers are attached.');
    const json = JSON.parse((await kalisto('read', String(uid), '--json')).stdout);
    expect(json.attachments).toEqual([{ filename: 'numbers.csv', contentType: 'text/csv', size: 8 }]);
  });

  it('exits 1 for a UID that does not exist and 2 for one that is not a number', async () => {
    const missing = await kalisto('read', '999999');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No message with UID 999999 in INBOX.');
    expect(missing.stderr).toContain('Run kalisto list INBOX');
    const notNumber = await kalisto('read', 'abc');
    expect(notNumber.code).toBe(2);
  });

  it('shows terminal escape sequences in mail escaped, never acting on the terminal', async () => {
    deliver(adele, 'Escape \u001b[31mred\u001b[0m subject');
    const run = await kalisto('list', '--limit', '1');
    expect(run.stdout).toContain('Escape \\u001b[31mred\\u001b[0m subject');
    expect(run.stdout).not.toContain('\u001b');
  });
});

describe('kalisto watch', () => {
  it('prints a message that arrives while it waits (IMAP IDLE), then stops after --count', async () => {
    let delivered = false;
    const run = await runKalisto([...box.config, 'watch', '--count', '1'], {
      onOutput: (sofar) => {
        if (!delivered && sofar.stderr.includes('Watching INBOX')) {
          delivered = true;
          // Give the watcher a moment to enter IDLE is not needed: new mail is caught up on (re)connect too.
          deliver(adele, 'Arrived while watching');
        }
      },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Arrived while watching');
    expect(run.stdout).toContain('megan@contoso.example');
    expectNoSecrets(run, box.secrets);
  });
});

describe('kalisto pop3', () => {
  it('lists, retrieves and downloads the maildrop to .eml files (skipping what is already there)', async () => {
    deliver(adele, 'For POP3');
    const list = await kalisto('pop3', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NUMBER +UIDL +SIZE/);
    const count = inbox(adele).length;
    expect(list.stdout).toContain(`${count} messages.`);

    const retr = await kalisto('pop3', '--protocol', 'pop3', 'retr', '1');
    expect(retr.code).toBe(0);
    expect(retr.stdout).toContain('Subject:');

    const dir = join(box.dir, 'maildrop');
    const download = await kalisto('pop3', 'download', dir);
    expect(download.code).toBe(0);
    expect(download.stdout).toContain(`✓ ${count} messages`);
    const files = await readdir(dir);
    expect(files).toHaveLength(count);
    expect(files.every((f) => f.endsWith('.eml'))).toBe(true);
    const one = await readFile(join(dir, files[0]!), 'utf8');
    expect(one).toMatch(/^[\w-]+: /);
    expect((await stat(join(dir, files[0]!))).size).toBeGreaterThan(0);

    const again = JSON.parse((await kalisto('pop3', 'download', dir, '--json')).stdout);
    expect(again).toMatchObject({ downloaded: 0, skipped: count });
  });

  it('refuses an IMAP protocol for pop3 with exit 2', async () => {
    const run = await kalisto('pop3', '--protocol', 'imaps', 'list');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--protocol imaps is not POP3.');
  });
});
