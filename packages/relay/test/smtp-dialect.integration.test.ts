/**
 * What old devices send, byte for byte on a raw socket — HELO without a domain, lower-case
 * commands, AUTH LOGIN's classic challenges, bare LF line ends — and what an attacker sends: a
 * lone `<LF>.<LF>` (or `<CR>.<CR>`) inside DATA must never end the message, so a second message
 * smuggled behind it is never delivered as one. Upstream: the sandbox; read back over IMAP.
 */
import { FIXTURE } from '@kalisto/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOverImap, inboxOverImap, PRINTER, type RelayBed, rawSmtp, startRelayBed } from './helpers.js';

const { adele, megan } = FIXTURE.users;
let bed: RelayBed;

beforeAll(async () => {
  bed = await startRelayBed((_sandbox, hash) => ({
    'kalisto.relay.listener.local.protocol': 'smtp',
    'kalisto.relay.listener.local.port': '0',
    'kalisto.relay.listener.local.tls': 'none',
    'kalisto.relay.listener.printers.protocol': 'smtp',
    'kalisto.relay.listener.printers.port': '0',
    'kalisto.relay.listener.printers.mode': 'trusted-networks',
    'kalisto.relay.listener.printers.tls': 'none',
    'kalisto.relay.listener.printers.trustedNetworks': '127.0.0.2',
    'kalisto.relay.listener.printers.allowedSenders': adele,
    'kalisto.relay.user.printer.password': hash,
    'kalisto.relay.user.printer.mailbox': adele,
  }));
}, 60_000);

afterAll(async () => {
  await bed?.stop();
});

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('old dialects', () => {
  it('HELO without a domain, lower-case commands and AUTH LOGIN with the classic challenges', async () => {
    const smtp = await rawSmtp(bed.port('local'));
    try {
      expect(await smtp.command('HELO')).toMatch(/^250 /);
      expect(await smtp.command('helo')).toMatch(/^250 /);
      expect(await smtp.command('EHLO')).toMatch(/^250[- ]/);
      expect(await smtp.command('helo my old printer')).toMatch(/^250 /);
      expect(await smtp.command('auth login')).toBe('334 VXNlcm5hbWU6');
      expect(await smtp.command(b64(PRINTER.user))).toBe('334 UGFzc3dvcmQ6');
      expect(await smtp.command(b64(PRINTER.password))).toMatch(/^235 /);
      expect(await smtp.command(`mail from:<${adele}>`)).toMatch(/^250 /);
      expect(await smtp.command(`rcpt to:<${megan}>`)).toMatch(/^250 /);
      expect(await smtp.command('data')).toMatch(/^354 /);
      const subject = `old dialect ${Date.now()}`;
      smtp.write(`From: ${adele}\r\nTo: ${megan}\r\nSubject: ${subject}\r\n\r\nhello\r\n.\r\n`);
      expect(await smtp.reply()).toMatch(/^250 2\.0\.0 Delivered upstream/);
      expect(await findOverImap(bed, megan, subject)).toHaveLength(1);
    } finally {
      smtp.close();
    }
  });

  it('bare LF line ends (commands and content) are taken, and the message delivered with CRLF only', async () => {
    const smtp = await rawSmtp(bed.port('printers'), { localAddress: '127.0.0.2' });
    const subject = `bare lf ${Date.now()}`;
    try {
      smtp.write('HELO scanner\n');
      expect(await smtp.reply()).toMatch(/^250 /);
      smtp.write(`MAIL FROM:<${adele}>\nRCPT TO:<${megan}>\nDATA\n`);
      expect(await smtp.reply()).toMatch(/^250 /);
      expect(await smtp.reply()).toMatch(/^250 /);
      expect(await smtp.reply()).toMatch(/^354 /);
      smtp.write(`From: ${adele}\nTo: ${megan}\nSubject: ${subject}\n\nline one\nline two\r\n.\r\n`);
      expect(await smtp.reply()).toMatch(/^250 2\.0\.0 Delivered upstream/);
    } finally {
      smtp.close();
    }
    const [delivered] = await findOverImap(bed, megan, subject);
    expect(delivered?.toString('latin1')).toBe(
      `From: ${adele}\r\nTo: ${megan}\r\nSubject: ${subject}\r\n\r\nline one\r\nline two\r\n`,
    );
  });
});

describe('no SMTP smuggling', () => {
  // Each variant tries to end DATA early and start a second transaction inside the first message.
  const variants = [
    ['<LF>.<LF>', '\n.\n'],
    ['<CR>.<CR>', '\r.\r'],
    ['<LF>.<CR><LF>', '\n.\r\n'],
    ['<CR><LF>.<LF>', '\r\n.\n'],
    ['<CR>.<CR><LF>', '\r.\r\n'],
  ] as const;

  it.each(variants)(
    '%s inside DATA is content: one message is delivered, the smuggled one never',
    async (_name, end) => {
      const marker = `smuggle-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const before = (await inboxOverImap(bed, megan)).length;
      const smtp = await rawSmtp(bed.port('printers'), { localAddress: '127.0.0.2' });
      try {
        expect(await smtp.command('EHLO scanner')).toMatch(/^250/);
        expect(await smtp.command(`MAIL FROM:<${adele}>`)).toMatch(/^250 /);
        expect(await smtp.command(`RCPT TO:<${megan}>`)).toMatch(/^250 /);
        expect(await smtp.command('DATA')).toMatch(/^354 /);
        const smuggled = `MAIL FROM:<${adele}>\r\nRCPT TO:<${megan}>\r\nDATA\r\nFrom: ${adele}\r\nSubject: smuggled ${marker}\r\n\r\nsmuggled body`;
        smtp.write(
          `From: ${adele}\r\nTo: ${megan}\r\nSubject: first ${marker}\r\n\r\nfirst body${end}${smuggled}${end}\r\n.\r\n`,
        );
        expect(await smtp.reply()).toMatch(/^250 2\.0\.0 Delivered upstream/);
        expect(await smtp.command('QUIT')).toMatch(/^221 /);
        // Exactly one reply to DATA: the server never read the smuggled commands as commands.
        expect(smtp.transcript().match(/^250 2\.0\.0 Delivered upstream/gm)).toHaveLength(1);
      } finally {
        smtp.close();
      }
      const inbox = await inboxOverImap(bed, megan);
      expect(inbox).toHaveLength(before + 1);
      const [delivered] = inbox.filter((m) => m.includes(marker));
      expect(inbox.filter((m) => m.includes(marker))).toHaveLength(1);
      const text = delivered?.toString('latin1') ?? '';
      expect(text.startsWith(`From: ${adele}\r\nTo: ${megan}\r\nSubject: first ${marker}\r\n`)).toBe(true);
      // The smuggled "message" is in the first message's body, not a message of its own.
      expect(text).toContain(`Subject: smuggled ${marker}`);
      expect(text).not.toMatch(/[^\r]\n|\r[^\n]/);
    },
  );
});
