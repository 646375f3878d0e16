import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, type Harness, RawClient, startHarness, xoauth2 } from './imap-harness.js';

let harness: Harness | undefined;
const raws: RawClient[] = [];
afterEach(async () => {
  for (const raw of raws.splice(0)) raw.close();
  await harness?.close();
  harness = undefined;
});

async function secureClient(h: Harness): Promise<RawClient> {
  const raw = await RawClient.secure(h.server.tlsPort, h.tls.ca);
  raws.push(raw);
  return raw;
}

async function loggedIn(h: Harness, token = 'valid'): Promise<RawClient> {
  const raw = await secureClient(h);
  expect(await raw.command('a0', `AUTHENTICATE XOAUTH2 ${xoauth2(ALICE, token)}`)).toBe(
    'a0 OK AUTHENTICATE completed.',
  );
  return raw;
}

/** The server still serves a fresh client normally. */
async function expectServing(h: Harness): Promise<void> {
  const raw = await loggedIn(h);
  expect(await raw.command('z1', 'SELECT INBOX')).toBe('z1 OK [READ-WRITE] SELECT completed.');
}

describe('IMAP server protocol handling (raw sockets)', () => {
  it('greets like Exchange and offers STARTTLS (no AUTH=) on the plain port until TLS', async () => {
    harness = await startHarness();
    const raw = await RawClient.plain(harness.server.port);
    raws.push(raw);
    expect(await raw.command('a1', 'CAPABILITY')).toBe('a1 OK CAPABILITY completed.');
    const caps = raw.lines.find((l) => l.startsWith('* CAPABILITY'));
    expect(caps).toContain('STARTTLS');
    expect(caps).toContain('LOGINDISABLED');
    expect(caps).not.toContain('AUTH=');
    expect(await raw.command('a2', `AUTHENTICATE XOAUTH2 ${xoauth2(ALICE, 'valid')}`)).toBe(
      'a2 BAD Command received in Invalid state.',
    );
  });

  it('upgrades with STARTTLS, drops commands pipelined before the handshake, then offers AUTH=', async () => {
    harness = await startHarness();
    const plain = await RawClient.plain(harness.server.port);
    raws.push(plain);
    const raw = await plain.startTls('a1', harness.tls.ca, 'a2 NOOP\r\n');
    raws.push(raw);
    expect(await raw.command('a3', 'CAPABILITY')).toBe('a3 OK CAPABILITY completed.');
    const caps = raw.lines.find((l) => l.startsWith('* CAPABILITY')) ?? '';
    expect(caps).toContain('AUTH=XOAUTH2');
    expect(caps).not.toContain('STARTTLS');
    expect(plain.lines.concat(raw.lines).some((l) => l.startsWith('a2 '))).toBe(false);
    expect(await raw.command('a4', 'STARTTLS')).toBe('a4 BAD Command received in Invalid state.');
    expect(await raw.command('a5', `AUTHENTICATE XOAUTH2 ${xoauth2(ALICE, 'valid')}`)).toBe(
      'a5 OK AUTHENTICATE completed.',
    );
  });

  it('survives plaintext sent to the implicit-TLS port', async () => {
    harness = await startHarness();
    const raw = await RawClient.connectOnly(harness.server.tlsPort);
    raws.push(raw);
    raw.write('a1 CAPABILITY\r\n');
    await raw.closedByServer();
    await expectServing(harness);
  });

  it('advertises Exchange’s capabilities over TLS', async () => {
    harness = await startHarness();
    const raw = await secureClient(harness);
    await raw.command('a1', 'CAPABILITY');
    expect(raw.lines).toContain(
      '* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE ID UNSELECT CHILDREN IDLE NAMESPACE LITERAL+',
    );
  });

  it('refuses commands before authentication and Basic authentication', async () => {
    harness = await startHarness();
    const raw = await secureClient(harness);
    expect(await raw.command('a1', 'SELECT INBOX')).toBe('a1 BAD Command received in Invalid state.');
    expect(await raw.command('a2', 'LOGIN alice@contoso.com secret')).toBe('a2 NO LOGIN failed.');
    const plain = Buffer.from('\0alice@contoso.com\0secret').toString('base64');
    expect(await raw.command('a3', `AUTHENTICATE PLAIN ${plain}`)).toBe('a3 NO AUTHENTICATE failed.');
    expect(await raw.command('a4', 'FETCH 1 FLAGS')).toBe('a4 BAD Command received in Invalid state.');
  });

  it('takes the XOAUTH2 response after a continuation, and sends the JSON challenge before NO', async () => {
    harness = await startHarness();
    const raw = await secureClient(harness);
    raw.write('a1 AUTHENTICATE XOAUTH2\r\n');
    await raw.waitFor(/^\+ $/);
    raw.write(`${xoauth2(ALICE, 'token-expired')}\r\n`);
    const challenge = await raw.waitFor(/^\+ \S+/);
    expect(JSON.parse(Buffer.from(challenge.slice(2), 'base64').toString())).toEqual({
      status: '401',
      schemes: 'bearer',
      scope: 'https://outlook.office.com/IMAP.AccessAsUser.All',
    });
    raw.write('\r\n');
    expect(await raw.waitFor(/^a1 /)).toBe('a1 NO AUTHENTICATE failed.');

    raw.write('a2 AUTHENTICATE XOAUTH2\r\n');
    await raw.waitFor(/^\+ $/);
    raw.write(`${xoauth2(ALICE, 'valid')}\r\n`);
    expect(await raw.waitFor(/^a2 /)).toBe('a2 OK AUTHENTICATE completed.');
  });

  it('answers every command after a no-mailbox-access login with "not connected"', async () => {
    harness = await startHarness();
    const raw = await loggedIn(harness, 'token-no-mailbox-access');
    expect(await raw.command('a1', 'NAMESPACE')).toBe('a1 BAD User is authenticated but not connected.');
    expect(await raw.command('a2', 'SELECT INBOX')).toBe('a2 BAD User is authenticated but not connected.');
    expect(await raw.command('a3', 'LOGOUT')).toBe('a3 OK LOGOUT completed.');
  });

  it('ends only the affected connection when the verifier throws', async () => {
    harness = await startHarness();
    const inline = await secureClient(harness);
    inline.write(`a1 AUTHENTICATE XOAUTH2 ${xoauth2(ALICE, 'token-crashes-verifier')}\r\n`);
    expect(await inline.waitFor(/^\* BYE/)).toBe('* BYE Internal server error.');
    const continued = await secureClient(harness);
    continued.write('a1 AUTHENTICATE XOAUTH2\r\n');
    await continued.waitFor(/^\+ $/);
    continued.write(`${xoauth2(ALICE, 'token-crashes-verifier')}\r\n`);
    expect(await continued.waitFor(/^\* BYE/)).toBe('* BYE Internal server error.');
    await expectServing(harness);
  });

  it('answers garbage with BAD and keeps serving', async () => {
    harness = await startHarness();
    const raw = await loggedIn(harness);
    raw.write('\x00\x01\x02 garbage\r\n');
    expect(await raw.waitFor(/^\* BAD/)).toMatch(/^\* BAD Command Error/);
    expect(await raw.command('a1', 'FROBNICATE now')).toMatch(/^a1 BAD/);
    expect(await raw.command('a2', 'FETCH (1')).toMatch(/^a2 BAD/);
    expect(await raw.command('a3', 'SELECT "unterminated')).toMatch(/^a3 BAD/);
    expect(await raw.command('a4', 'SELECT INBOX')).toBe('a4 OK [READ-WRITE] SELECT completed.');
    expect(await raw.command('a5', 'FETCH 1:x FLAGS')).toMatch(/^a5 BAD/);
    expect(await raw.command('a6', 'SEARCH FROBBED')).toMatch(/^a6 BAD/);
    expect(await raw.command('a7', 'NOOP')).toBe('a7 OK NOOP completed.');
  });

  it('frames commands the same however TCP splits them', async () => {
    harness = await startHarness();
    const raw = await loggedIn(harness);
    const bytes = Buffer.from('a1 SELECT INBOX\r\na2 APPEND Drafts {11}\r\n');
    for (const byte of bytes) raw.write(Buffer.from([byte]));
    expect(await raw.waitFor(/^a1 /)).toBe('a1 OK [READ-WRITE] SELECT completed.');
    await raw.waitFor(/^\+ /);
    for (const byte of Buffer.from('Subject: x\r\r\n')) raw.write(Buffer.from([byte]));
    expect(await raw.waitFor(/^a2 /)).toMatch(/^a2 OK \[APPENDUID \d+ 1\] APPEND completed\.$/);
    const drafts = harness.store.mailbox(ALICE)!.folder('Drafts')!;
    expect(drafts.messages[0]!.raw.toString()).toBe('Subject: x\r');
  });

  it('refuses an oversized synchronising literal without reading it, and skips an oversized LITERAL+', async () => {
    harness = await startHarness({ maxLiteralBytes: 1000 });
    const raw = await loggedIn(harness);
    expect(await raw.command('a1', 'APPEND INBOX {999999999999}')).toBe(
      'a1 BAD [TOOBIG] Literal exceeds the maximum message size.',
    );
    expect(raw.lines.some((l) => l.startsWith('+'))).toBe(false);
    raw.write(`a2 APPEND INBOX {2000+}\r\n${'x'.repeat(2000)}\r\n`);
    expect(await raw.waitFor(/^a2 /)).toBe('a2 BAD [TOOBIG] Literal exceeds the maximum message size.');
    expect(await raw.command('a3', 'NOOP')).toBe('a3 OK NOOP completed.');
    expect(harness.store.mailbox(ALICE)!.folder('Inbox')!.messages).toHaveLength(10);
  });

  it('says BYE and closes on a line longer than the limit', async () => {
    harness = await startHarness({ maxLineBytes: 1024 });
    const raw = await loggedIn(harness);
    raw.write(`a1 NOOP ${'x'.repeat(5000)}\r\n`);
    expect(await raw.waitFor(/^\* BYE/)).toBe('* BYE Line too long.');
    await raw.closedByServer();
    await expectServing(harness);
  });

  it('cleans up a client that disconnects in the middle of a literal', async () => {
    harness = await startHarness();
    const raw = await loggedIn(harness);
    await raw.command('a1', 'SELECT INBOX');
    raw.write('a2 APPEND INBOX {100}\r\n');
    await raw.waitFor(/^\+ /);
    raw.write('only a part');
    raw.close();
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (harness!.server.connections() === 0) {
          clearInterval(poll);
          resolve();
        }
      }, 10);
    });
    expect(harness.store.mailbox(ALICE)!.folder('Inbox')!.messages).toHaveLength(10);
    await expectServing(harness);
  });

  it('serves body sections, partials and sets \\Seen for a non-PEEK fetch', async () => {
    harness = await startHarness();
    const raw = await loggedIn(harness);
    await raw.command('a1', 'SELECT INBOX');
    const inbox = harness.store.mailbox(ALICE)!.folder('Inbox')!;
    const text = inbox.messages[0]!.raw.toString().split('\r\n\r\n').slice(1).join('\r\n\r\n');
    raw.write('a2 FETCH 1 (BODY[TEXT]<0.5>)\r\n');
    expect(await raw.waitFor(/^\* 1 FETCH/)).toBe('* 1 FETCH (BODY[TEXT]<0> {5}');
    expect(await raw.waitFor(/^a2 /)).toBe('a2 OK FETCH completed.');
    expect(raw.lines.join('\n')).toContain(`${text.slice(0, 5)} FLAGS (\\Seen))`);
    expect(inbox.messages[0]!.flags.has('\\Seen')).toBe(true);

    raw.write('a3 UID FETCH 2 (BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])\r\n');
    expect(await raw.waitFor(/^\* 2 FETCH/)).toMatch(
      /^\* 2 FETCH \(UID 2 BODY\[HEADER\.FIELDS \(SUBJECT FROM\)\] \{\d+\}$/,
    );
    expect(await raw.waitFor(/^Subject:/)).toBe('Subject: Re: Invoice 4711 #2');

    raw.write('a4 FETCH 5 (BODY.PEEK[2.MIME] BODY.PEEK[2])\r\n');
    await raw.waitFor(/^a4 OK/);
    expect(raw.lines).toContain('Content-Type: text/csv; name="report-4.csv"');
    // The CRLF before a boundary belongs to the boundary, so the part ends right before ')'.
    expect(raw.lines).toContain(`${Buffer.from('id,amount\r\n4,148\r\n').toString('base64')})`);
  });

  it('ends an idle session with the AccessTokenExpired BYE', async () => {
    harness = await startHarness();
    const raw = await loggedIn(harness, 'short:200');
    await raw.command('a1', 'SELECT INBOX');
    raw.write('a2 IDLE\r\n');
    await raw.waitFor(/^\+ IDLE accepted/);
    expect(await raw.waitFor(/^\* BYE/)).toBe('* BYE Session invalidated - AccessTokenExpired');
    await raw.closedByServer();
  });

  it('ends the session at the next command once an injected clock passes the token expiry', async () => {
    let clock = Date.now();
    harness = await startHarness({ now: () => clock });
    const raw = await loggedIn(harness);
    expect(await raw.command('a1', 'NOOP')).toBe('a1 OK NOOP completed.');
    clock += 2 * 3_600_000;
    raw.write('a2 NOOP\r\n');
    expect(await raw.waitFor(/^\* BYE/)).toBe('* BYE Session invalidated - AccessTokenExpired');
    await raw.closedByServer();
  });

  it('reports EXPUNGE from another session only after a sequence-number FETCH completes', async () => {
    harness = await startHarness();
    const raw = await loggedIn(harness);
    await raw.command('a1', 'SELECT INBOX');
    const inbox = harness.store.mailbox(ALICE)!.folder('Inbox')!;
    inbox.setFlags(1, ['\\Deleted']);
    inbox.expunge();
    expect(await raw.command('a2', 'FETCH 1 UID')).toBe('a2 OK FETCH completed.');
    expect(raw.lines.some((l) => l.includes('EXPUNGE'))).toBe(false);
    expect(await raw.command('a3', 'NOOP')).toBe('a3 OK NOOP completed.');
    expect(raw.lines).toContain('* 1 EXPUNGE');
  });
});
