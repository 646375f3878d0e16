/**
 * Sending through the sandbox's Graph lands in the same store the IMAP server reads: MIME and JSON
 * sendMail, Bcc kept out of delivered copies, Sent Items, drafts with small attachments and upload
 * sessions, the 4 MB request limit.
 */
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index.js';
import { appGraphToken, GraphClient, imapSession, imapSource, mimeMessage } from './graph.helpers.js';

describe('Graph sendMail and drafts on the shared mail store', () => {
  let sandbox: Sandbox;
  let graph: GraphClient;
  let token: string;
  let adele: string;
  let megan: string;

  beforeAll(async () => {
    sandbox = await startSandbox();
    graph = new GraphClient(sandbox);
    token = await appGraphToken(sandbox);
    adele = sandbox.fixtures.users.adele.upn;
    megan = sandbox.fixtures.users.megan.upn;
  });
  afterAll(async () => {
    graph?.close();
    await sandbox?.stop();
  });

  const inbox = (address: string) => sandbox.store.mailbox(address)?.folder('Inbox');
  const sent = (address: string) => sandbox.store.mailbox(address)?.folder('Sent Items');

  it('delivers base64 MIME to the recipient byte for byte, as IMAP BODY[] returns it, and keeps a Seen copy in Sent Items', async () => {
    const raw = mimeMessage({ from: adele, to: megan, subject: 'graph-mime-exact' });
    const before = inbox(megan)?.uidNext ?? 0;
    const reply = await graph.sendMime(adele, token, raw);
    expect(reply.status).toBe(202);
    expect(reply.body.length).toBe(0);
    expect(reply.headers['request-id']).toEqual(expect.any(String));

    const imap = await imapSession(sandbox, megan);
    try {
      expect((await imapSource(imap, 'INBOX', before)).equals(raw)).toBe(true);
    } finally {
      await imap.logout();
    }
    const copy = sent(adele)?.messages.at(-1);
    expect(copy?.raw.equals(raw)).toBe(true);
    expect([...(copy?.flags ?? [])]).toEqual(['\\Seen']);
  });

  it('stores what the SMTP server stores for the same message (no header added on either path)', async () => {
    const fromGraph = mimeMessage({ from: adele, to: megan, subject: 'same-path' });
    await graph.sendMime(adele, token, fromGraph);
    const graphCopy = inbox(megan)?.messages.at(-1)?.raw;

    const smtpToken = (await sandbox.hooks.mintToken({ roles: ['SMTP.SendAsApp'] })).token;
    const transport = createTransport({
      host: sandbox.endpoints.smtps.host,
      port: sandbox.endpoints.smtps.port,
      secure: true,
      tls: { ca: sandbox.ca },
      auth: { type: 'OAuth2', user: adele, accessToken: smtpToken },
    });
    await transport.sendMail({ envelope: { from: adele, to: [megan] }, raw: fromGraph });
    transport.close();
    const smtpCopy = inbox(megan)?.messages.at(-1)?.raw;
    expect(smtpCopy?.equals(fromGraph)).toBe(true);
    expect(graphCopy?.equals(smtpCopy as Buffer)).toBe(true);
  });

  it('takes recipients from To, Cc and Bcc and drops the Bcc field from delivered copies only', async () => {
    const alex = sandbox.fixtures.users.alex.upn;
    const isaiah = sandbox.fixtures.users.isaiah.upn;
    const raw = mimeMessage({ from: adele, to: megan, cc: alex, bcc: isaiah, subject: 'with-bcc' });
    expect((await graph.sendMime(adele, token, raw)).status).toBe(202);
    const withoutBcc = Buffer.from(raw.toString('latin1').replace(`Bcc: ${isaiah}\r\n`, ''), 'latin1');
    for (const address of [megan, alex, isaiah]) {
      expect(inbox(address)?.messages.at(-1)?.raw.equals(withoutBcc)).toBe(true);
    }
    expect(sent(adele)?.messages.at(-1)?.raw.equals(raw)).toBe(true);
  });

  it('sends JSON messages, honouring saveToSentItems: false', async () => {
    const sentBefore = sent(adele)?.messages.length ?? 0;
    const reply = await graph.call('POST', `/users/${adele}/sendMail`, {
      token,
      body: JSON.stringify({
        message: {
          subject: 'json-send ✓',
          body: { contentType: 'HTML', content: '<p>Hello <b>Megan</b></p>' },
          toRecipients: [{ emailAddress: { address: megan, name: 'Megan' } }],
        },
        saveToSentItems: false,
      }),
    });
    expect(reply.status).toBe(202);
    expect(sent(adele)?.messages.length).toBe(sentBefore);
    const delivered = inbox(megan)?.messages.at(-1);
    const id = await graph.call(
      'GET',
      `/users/${megan}/mailFolders/inbox/messages?$top=1&$select=subject,body,from`,
      {
        token,
      },
    );
    expect(id.json.value[0]).toMatchObject({
      subject: 'json-send ✓',
      from: { emailAddress: { address: adele, name: 'Adele Vance' } },
      body: { contentType: 'html', content: expect.stringContaining('<b>Megan</b>') },
    });
    expect(delivered?.raw.toString()).toContain('Subject: =?UTF-8?B?');
  });

  it('refuses a request body over 4 MB with 413 in Graph’s error shape', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024 + 16, 'A').toString();
    const reply = await graph.call('POST', `/users/${adele}/sendMail`, {
      token,
      body: big,
      contentType: 'text/plain',
      headers: { 'client-request-id': 'big-one' },
    });
    expect(reply.status).toBe(413);
    expect(reply.json.error).toMatchObject({
      code: 'RequestEntityTooLarge',
      innerError: { 'client-request-id': 'big-one', 'request-id': expect.any(String) },
    });
  });

  it('sends a large message as a MIME draft plus a chunked upload session, and IMAP reads it whole', async () => {
    const raw = mimeMessage({ from: adele, to: megan, subject: 'large-draft' });
    const created = await graph.call('POST', `/users/${adele}/messages`, {
      token,
      body: raw.toString('base64'),
      contentType: 'text/plain',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ isDraft: true, subject: 'large-draft' });
    const id = encodeURIComponent(created.json.id);

    const small = Buffer.from('small attachment\r\n');
    const attached = await graph.call('POST', `/users/${adele}/messages/${id}/attachments`, {
      token,
      body: JSON.stringify({
        '@odata.type': '#microsoft.graph.fileAttachment',
        name: 'small.txt',
        contentType: 'text/plain',
        contentBytes: small.toString('base64'),
      }),
    });
    expect(attached.status).toBe(201);
    expect(attached.json).toMatchObject({ name: 'small.txt', size: small.length });

    const file = Buffer.alloc(3 * 1024 * 1024 + 4096); // just over the 3 MB floor of upload sessions
    for (let i = 0; i < file.length; i++) file[i] = (i * 31) & 0xff;
    const session = await graph.call(
      'POST',
      `/users/${adele}/messages/${id}/attachments/createUploadSession`,
      {
        token,
        body: JSON.stringify({
          AttachmentItem: { attachmentType: 'file', name: 'big.bin', size: file.length },
        }),
      },
    );
    expect(session.status).toBe(201);
    expect(session.json.nextExpectedRanges).toEqual(['0-']);
    const chunk = 1280 * 1024;
    const statuses: number[] = [];
    for (let start = 0; start < file.length; start += chunk) {
      const part = file.subarray(start, Math.min(start + chunk, file.length));
      const put = await graph.call('PUT', session.json.uploadUrl, {
        body: part,
        contentType: 'application/octet-stream',
        headers: { 'content-range': `bytes ${start}-${start + part.length - 1}/${file.length}` },
      });
      statuses.push(put.status);
      if (put.status === 200) expect(put.json.nextExpectedRanges).toEqual([String(start + part.length)]);
      if (put.status === 201) expect(put.headers.location).toMatch(/\/Attachments\('/);
    }
    expect(statuses).toEqual([200, 200, 201]);

    const before = inbox(megan)?.uidNext ?? 0;
    expect((await graph.call('POST', `/users/${adele}/messages/${id}/send`, { token })).status).toBe(202);
    const imap = await imapSession(sandbox, megan);
    try {
      const source = await imapSource(imap, 'INBOX', before);
      const parsed = await (await import('mailparser')).simpleParser(source);
      expect(parsed.subject).toBe('large-draft');
      expect(parsed.text?.trim()).toBe('Body of large-draft');
      expect(parsed.attachments.map((a) => a.filename)).toEqual(['small.txt', 'big.bin']);
      expect(parsed.attachments[1]?.content.equals(file)).toBe(true);
    } finally {
      await imap.logout();
    }
    expect((await graph.call('GET', `/users/${adele}/messages/${id}`, { token })).status).toBe(404);
  });

  it('refuses an upload PUT that carries an Authorization header, and a session for a small file', async () => {
    const created = await graph.call('POST', `/users/${adele}/messages`, {
      token,
      body: JSON.stringify({ subject: 'x', toRecipients: [{ emailAddress: { address: megan } }] }),
    });
    const id = encodeURIComponent(created.json.id);
    const tooSmall = await graph.call(
      'POST',
      `/users/${adele}/messages/${id}/attachments/createUploadSession`,
      {
        token,
        body: JSON.stringify({ AttachmentItem: { attachmentType: 'file', name: 'a', size: 1000 } }),
      },
    );
    expect(tooSmall.status).toBe(400);
    expect(tooSmall.json.error.code).toBe('ErrorAttachmentSizeShouldNotBeLessThanMinimiumSize');
    const session = await graph.call(
      'POST',
      `/users/${adele}/messages/${id}/attachments/createUploadSession`,
      {
        token,
        body: JSON.stringify({ AttachmentItem: { attachmentType: 'file', name: 'a', size: 4_000_000 } }),
      },
    );
    const put = await graph.call('PUT', session.json.uploadUrl, {
      token,
      body: Buffer.alloc(10),
      headers: { 'content-range': 'bytes 0-9/4000000' },
    });
    expect(put.status).toBe(401);
    expect(put.json.error.code).toBe('InvalidAuthenticationToken');
    const gap = await graph.call('PUT', session.json.uploadUrl, {
      body: Buffer.alloc(10),
      headers: { 'content-range': 'bytes 10-19/4000000' },
    });
    expect(gap.status).toBe(416);
  });
});
