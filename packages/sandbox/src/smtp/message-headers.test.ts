import { describe, expect, it } from 'vitest';
import { readSubmissionHeaders } from './message-headers.js';

describe('readSubmissionHeaders', () => {
  it('reads folded, encoded and grouped From addresses and the Message-ID', async () => {
    const raw = Buffer.from(
      'From: =?UTF-8?B?w4lsaXNl?= <Elise@Contoso.com>,\r\n Team: bob@contoso.com;\r\n' +
        'Message-ID: <abc@contoso.com>\r\nSubject: x\r\n\r\nFrom: body@evil.test\r\n',
    );
    expect(await readSubmissionHeaders(raw)).toEqual({
      from: ['elise@contoso.com', 'bob@contoso.com'],
      messageId: '<abc@contoso.com>',
    });
  });

  it('returns no address when there is no From field', async () => {
    expect(await readSubmissionHeaders(Buffer.from('Subject: x\r\n\r\nbody\r\n'))).toEqual({
      from: [],
      messageId: undefined,
    });
  });
});
