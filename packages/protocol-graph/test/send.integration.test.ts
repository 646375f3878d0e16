/**
 * mail.transport.protocol=graph on the sandbox: what nodemailer composed arrives byte for byte over
 * IMAP; the same properties with smtp still send; large messages go as a draft with attachments.
 */
import { randomBytes } from 'node:crypto';
import type { SmtpTransporter } from '@kalisto/protocol-smtp';
import { simpleParser } from 'mailparser';
import { createTransport, type SendMailOptions } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphTransporter } from '../src/index.js';
import { type GraphTestBed, imapSource, rawMessage, rejectionOf, startGraphBed } from './helpers.js';

let bed: GraphTestBed;
beforeAll(async () => {
  bed = await startGraphBed();
});
afterAll(async () => {
  await bed?.stop();
});

/** Password-grant properties of a fixture user through the public app (delegated Graph tokens). */
function delegated(upn: string, password: string): Record<string, string> {
  return {
    'o365.oauth.flow': 'password',
    'o365.oauth.clientId': bed.sandbox.fixtures.publicApp.clientId,
    'o365.oauth.clientSecret': '',
    'o365.oauth.scope': 'https://outlook.office.com/IMAP.AccessAsUser.All',
    'o365.user': upn,
    'o365.password': password,
  };
}

/** The bytes nodemailer composes for `message` (Bcc kept, as the Graph transport keeps it). */
async function composed(message: SendMailOptions): Promise<Buffer> {
  const info = await createTransport({ streamTransport: true, buffer: true }).sendMail(message);
  return info.message as Buffer;
}

/** A message nodemailer composes the same way twice: fixed date, id and boundary. */
function fixed(subject: string, extra: Partial<SendMailOptions> = {}): SendMailOptions {
  return {
    from: bed.user,
    to: bed.user,
    subject,
    text: 'Plain text, and an é for the charset.',
    html: '<p>HTML</p>',
    attachments: [{ filename: 'data.bin', content: randomBytes(2048) }],
    date: new Date('2026-01-01T00:00:00Z'),
    messageId: `<${subject.replace(/\W/g, '-')}@kalisto.test>`,
    baseBoundary: 'kalisto-graph-test',
    ...extra,
  } as SendMailOptions;
}

describe('mail.transport.protocol=graph', () => {
  it('sends what nodemailer composed, read back byte for byte over IMAP; info mirrors nodemailer', async () => {
    const session = bed.session({ 'mail.transport.protocol': 'graph' });
    // The default transport protocol is only known at run time: the type says which one is expected.
    const transport = (await session.transport()) as GraphTransporter;
    bed.sandbox.hooks.graph.resetRequestCounts();
    const message = fixed('graph byte exact');
    const info = await transport.sendMail(message);

    expect(info).toMatchObject({
      messageId: '<graph-byte-exact@kalisto.test>',
      accepted: [bed.user],
      rejected: [],
      envelope: { from: bed.user, to: [bed.user] },
      method: 'sendMail',
      response: expect.stringMatching(/^202 Accepted/),
    });
    expect(bed.sandbox.hooks.graph.requestCounts().sendMail).toBe(1);
    const imap = await bed.imap();
    const arrived = await imapSource(imap, 'INBOX', info.messageId);
    expect(arrived?.equals(await composed(message))).toBe(true);
    expect(info.messageSize).toBe(arrived?.length);
  });

  it('Bcc reaches its recipient and stays off the copy the others see; Sent Items keeps the message as composed', async () => {
    const transport = await bed.session().transport('graph');
    const shared = bed.sandbox.fixtures.sharedMailbox;
    const message = fixed('graph bcc', { to: bed.user, bcc: shared });
    const info = await transport.sendMail(message);
    expect(info.envelope.to).toEqual([bed.user, shared]);

    const toCopy = await imapSource(await bed.imap(), 'INBOX', info.messageId);
    const bccCopy = await imapSource(await bed.imap(shared), 'INBOX', info.messageId);
    expect(bccCopy).toBeDefined();
    expect(toCopy?.toString()).not.toMatch(/^Bcc:/im);
    const sent = await imapSource(await bed.imap(), 'Sent Items', info.messageId);
    expect(sent?.equals(await composed(message))).toBe(true);
  });

  it('sends a raw message unchanged', async () => {
    const transport = await bed.session().transport('graph');
    const raw = rawMessage(bed.user, bed.user, 'graph raw');
    const info = await transport.sendMail({ raw });
    const arrived = await imapSource(await bed.imap(), 'INBOX', '<graph-raw@kalisto.test>');
    expect(arrived?.equals(raw)).toBe(true);
    expect(info.messageSize).toBe(raw.length);
  });

  it('the same properties with mail.transport.protocol=smtp still send, over SMTP', async () => {
    const session = bed.session({ 'mail.transport.protocol': 'smtp' });
    bed.sandbox.hooks.graph.resetRequestCounts();
    const transport = (await session.transport()) as SmtpTransporter;
    const info = await transport.sendMail({
      from: bed.user,
      to: bed.user,
      subject: 'over smtp',
      text: 'smtp',
    });
    expect(info.response).toMatch(/^250/);
    expect(bed.sandbox.hooks.graph.requestCounts().sendMail).toBe(0);
    expect(await imapSource(await bed.imap(), 'INBOX', info.messageId)).toBeDefined();
  });

  it('delegated (password grant, the default delegated scope): sends from the signed-in mailbox', async () => {
    const megan = bed.sandbox.fixtures.users.megan;
    const session = bed.session(delegated(megan.upn, megan.password));
    expect(session.config.properties['mail.graph.scope']).toBe(
      'https://graph.microsoft.com/Mail.ReadWrite https://graph.microsoft.com/Mail.Send offline_access',
    );
    const info = await (await session.transport('graph')).sendMail({
      from: megan.upn,
      to: bed.user,
      subject: 'graph delegated',
      text: 'delegated',
    });
    expect(await imapSource(await bed.imap(), 'INBOX', info.messageId)).toBeDefined();
  });

  it('a shared mailbox: mail.graph.user is the shared address, the delegate holds Send As and the .Shared scope', async () => {
    const megan = bed.sandbox.fixtures.users.megan;
    const shared = bed.sandbox.fixtures.sharedMailbox;
    const session = bed.session({
      ...delegated(megan.upn, megan.password),
      'mail.graph.user': shared,
      'mail.graph.scope': 'https://graph.microsoft.com/Mail.Send.Shared offline_access',
    });
    const info = await (await session.transport('graph')).sendMail({
      from: shared,
      to: bed.user,
      subject: 'graph shared',
      text: 'from the shared mailbox',
    });
    const arrived = await imapSource(await bed.imap(), 'INBOX', info.messageId);
    expect(arrived?.toString()).toContain(`From: ${shared}`);
  });

  it('refuses an envelope that differs from the headers, before any request', async () => {
    const transport = await bed.session().transport('graph');
    bed.sandbox.hooks.graph.resetRequestCounts();
    const error = await rejectionOf(
      transport.sendMail({
        from: bed.user,
        to: bed.user,
        text: 'x',
        envelope: { from: 'bounces@contoso.example', to: [bed.user] },
      }),
    );
    expect(error).toMatchObject({ code: 'GRAPH_ENVELOPE_UNSUPPORTED' });
    expect(Object.values(bed.sandbox.hooks.graph.requestCounts()).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('over 4 MB: a draft, a small attachment by POST, a large one by upload session, then send', async () => {
    const transport = await bed.session().transport('graph');
    bed.sandbox.hooks.graph.resetRequestCounts();
    const large = randomBytes(3_500_000);
    const small = randomBytes(40_000);
    const info = await transport.sendMail({
      from: bed.user,
      to: bed.user,
      subject: 'graph large',
      text: 'See the attachments.',
      attachments: [
        { filename: 'large.bin', content: large },
        { filename: 'small.bin', content: small, contentType: 'application/x-test' },
      ],
    });
    expect(info.method).toBe('draft');
    const counts = bed.sandbox.hooks.graph.requestCounts();
    expect(counts).toMatchObject({
      sendMail: 0,
      createMessage: 1,
      addAttachment: 1,
      createUploadSession: 1,
      uploadChunk: 2,
      sendDraft: 1,
    });
    const arrived = await imapSource(await bed.imap(), 'INBOX', info.messageId);
    expect(arrived).toBeDefined();
    const parsed = await simpleParser(arrived as Buffer);
    const byName = new Map(parsed.attachments.map((a) => [a.filename, a.content]));
    expect(byName.get('large.bin')?.equals(large)).toBe(true);
    expect(byName.get('small.bin')?.equals(small)).toBe(true);
    expect(parsed.text?.trim()).toBe('See the attachments.');
  });

  it('a message over mail.graph.maxMessageBytes fails before any request', async () => {
    const transport = await bed.session({ 'mail.graph.maxMessageBytes': '100000' }).transport('graph');
    bed.sandbox.hooks.graph.resetRequestCounts();
    const error = await rejectionOf(
      transport.sendMail({ from: bed.user, to: bed.user, attachments: [{ content: randomBytes(200_000) }] }),
    );
    expect(error).toMatchObject({ code: 'GRAPH_MESSAGE_TOO_LARGE' });
    expect(bed.sandbox.hooks.graph.requestCounts().sendMail).toBe(0);
  });
});
