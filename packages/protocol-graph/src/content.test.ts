import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { SendMailOptions } from 'nodemailer';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveMessageContent } from './content.js';

const dir = mkdtempSync(join(tmpdir(), 'graph-content-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveMessageContent', () => {
  it('reads streams and files into memory, leaving strings, Buffers and the caller objects alone', async () => {
    const file = join(dir, 'report.pdf');
    writeFileSync(file, Buffer.from([0, 1, 2, 255]));
    const attachments = [
      { filename: 'a.txt', content: Readable.from([Buffer.from('stream '), Buffer.from('content')]) },
      { path: file },
      { filename: 'b.txt', content: 'text' },
    ];
    const data: SendMailOptions = { html: Readable.from(['<p>hi</p>']), text: 'plain', attachments };
    await resolveMessageContent(data, 1024);
    expect(Buffer.isBuffer(data.html)).toBe(true);
    expect(String(data.html)).toBe('<p>hi</p>');
    expect(data.text).toBe('plain');
    const resolved = data.attachments ?? [];
    expect(String(resolved[0]?.content)).toBe('stream content');
    expect(resolved[1]).toEqual({ content: Buffer.from([0, 1, 2, 255]) });
    expect(resolved[2]).toEqual({ filename: 'b.txt', content: 'text' });
    expect(attachments[1]).toEqual({ path: file });
  });

  it('stops reading once the parts exceed the cap together', async () => {
    const endless = Readable.from(
      (function* () {
        for (;;) yield Buffer.alloc(64 * 1024);
      })(),
    );
    const data: SendMailOptions = { text: 'x'.repeat(100), attachments: [{ content: endless }] };
    await expect(resolveMessageContent(data, 1024 * 1024)).rejects.toMatchObject({
      code: 'GRAPH_MESSAGE_TOO_LARGE',
    });
    expect(endless.destroyed).toBe(true);
  });

  it("honours nodemailer's disableFileAccess and disableUrlAccess with nodemailer's codes", async () => {
    await expect(
      resolveMessageContent({ disableFileAccess: true, attachments: [{ path: '/etc/hostname' }] }, 1024),
    ).rejects.toMatchObject({ code: 'EFILEACCESS' });
    await expect(
      resolveMessageContent(
        { disableUrlAccess: true, attachments: [{ href: 'https://example.invalid/x' }] },
        1024,
      ),
    ).rejects.toMatchObject({ code: 'EURLACCESS' });
  });
});
