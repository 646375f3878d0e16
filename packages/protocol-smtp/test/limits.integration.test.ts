/**
 * Exchange's sending limits on the sandbox: the concurrent-session limit (`432 4.3.2`, met here by
 * a pool wider than the limit) and the submission quota (`554 5.2.0`), as ConnectionErrors.
 */
import type { ConnectionError } from '@kalisto/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rawMessage, type SmtpTestBed, startTestBed } from './helpers.js';

let bed: SmtpTestBed;

beforeAll(async () => {
  bed = await startTestBed({
    behaviour: {
      smtp: { maxConnectionsPerMailbox: 1, submissionQuota: { messages: 3, windowMs: 3_600_000 } },
    },
  });
});
afterEach(async () => {
  await bed.closeSessions();
});
afterAll(async () => {
  await bed?.stop();
});

describe('sending limits', () => {
  it('432 4.3.2 from a pool wider than the mailbox’s session limit is TOO_MANY_CONNECTIONS, transient, with a retry-after', async () => {
    const { adele, megan } = bed.sandbox.fixtures.users;
    const transport = await bed
      .session({ 'mail.smtp.pool.enable': 'true', 'mail.smtp.pool.maxConnections': '3' })
      .transport('smtp');

    const results = await Promise.allSettled(
      [1, 2, 3].map((n) =>
        transport.sendMail({
          envelope: { from: adele.upn, to: [megan.upn] },
          raw: rawMessage(adele.upn, megan.upn, `limit ${n}`),
        }),
      ),
    );

    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    for (const { reason } of refused) {
      expect(reason as ConnectionError).toMatchObject({
        name: 'ConnectionError',
        code: 'TOO_MANY_CONNECTIONS',
        transient: true,
        retryAfterMs: expect.any(Number),
      });
      expect((reason as ConnectionError).message).toContain('432 4.3.2');
      expect((reason as ConnectionError).hint).toContain('pool');
    }
  });

  it('554 5.2.0 past the submission quota is SUBMISSION_QUOTA_EXCEEDED, not transient', async () => {
    const { isaiah, megan } = bed.sandbox.fixtures.users;
    const transport = await bed.session({ 'mail.smtp.user': isaiah.upn }).transport('smtp');
    const send = (n: number) =>
      transport.sendMail({
        envelope: { from: isaiah.upn, to: [megan.upn] },
        raw: rawMessage(isaiah.upn, megan.upn, `quota ${n}`),
      });

    for (const n of [1, 2, 3]) await send(n);
    await expect(send(4)).rejects.toMatchObject({
      name: 'ConnectionError',
      code: 'SUBMISSION_QUOTA_EXCEEDED',
      transient: false,
      message: expect.stringContaining('SubmissionQuotaExceededException'),
    });
  });
});
