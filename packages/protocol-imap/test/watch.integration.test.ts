/**
 * watch() against the sandbox: every message exactly once, in order, while connections are cut
 * (revoked token, destroyed socket, token expiry BYE, proactive renewal), and a clean stop.
 */
import type { Socket } from 'node:net';
import type { KalistoSession } from '@kalisto/core';
import type { FetchMessageObject, ImapFlow } from 'imapflow';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type WatchHandle, type WatchOptions, type WatchPosition, watch } from '../src/index.js';
import {
  containsJwt,
  delegatedProperties,
  type ImapTestBed,
  logSink,
  message,
  startTestBed,
} from './helpers.js';

const WAIT = { timeout: 20_000, interval: 25 };
const FAST: WatchOptions = {
  protocol: 'imaps',
  backoff: { initialMs: 20, maxMs: 200 },
  checkIntervalMs: 150,
};

let bed: ImapTestBed;
let watcher: WatchHandle | undefined;

beforeEach(async () => {
  bed = await startTestBed();
});
afterEach(async () => {
  await watcher?.stop();
  watcher = undefined;
  await bed?.stop();
});

/** A handler recording subjects, and the connection it was last called on. */
function recorder() {
  const subjects: string[] = [];
  let client: ImapFlow | undefined;
  const handler = (msg: FetchMessageObject, context: { client: ImapFlow }) => {
    client = context.client;
    subjects.push(subjectOf(msg));
  };
  return { subjects, handler, client: () => client };
}

function subjectOf(msg: FetchMessageObject): string {
  return (msg.source as Buffer).toString('latin1').match(/^Subject: (.*)$/m)?.[1] ?? '';
}

function jtiOf(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')).jti;
}

function imapConnections(): number {
  return bed.sandbox.servers.find((s) => s.protocol === 'imap')?.connections() ?? 0;
}

async function started(handle: WatchHandle): Promise<void> {
  await vi.waitFor(() => expect(handle.position()).toBeDefined(), WAIT);
}

describe('watch()', () => {
  it('delivers every message exactly once, in order, across a revoked token and a destroyed socket', async () => {
    const session = bed.kalisto.session(bed.sandbox.properties);
    bed.sandbox.store.deliver([bed.user], message('before the watch'));
    const seen = recorder();
    const failures: unknown[] = [];
    watcher = watch(session, 'INBOX', seen.handler, {
      ...FAST,
      onError: (error) => failures.push(error),
      logger: bed.log.logger,
    });
    await started(watcher);
    const logins = vi.spyOn(bed.sandbox.verifier, 'verify');

    const expected: string[] = [];
    const deliver = (i: number) => {
      const subject = `message ${i}`;
      expected.push(subject);
      bed.sandbox.store.deliver([bed.user], message(subject));
    };
    for (let i = 1; i <= 12; i++) {
      deliver(i);
      if (i === 3 || i === 9) {
        await vi.waitFor(() => expect(seen.subjects).toHaveLength(i), WAIT);
        // Revoke the token of the live connection: the server ends it at the next command.
        bed.sandbox.hooks.revokeToken(jtiOf((await session.tokens.getToken()).accessToken));
      }
      if (i === 6) {
        await vi.waitFor(() => expect(seen.subjects).toHaveLength(i), WAIT);
        (seen.client() as unknown as { socket: Socket }).socket.destroy();
      }
    }
    await vi.waitFor(() => expect(seen.subjects.length).toBeGreaterThanOrEqual(12), WAIT);
    await watcher.stop();

    expect(seen.subjects).toEqual(expected);
    expect(watcher.position()?.uid).toBeGreaterThan(12);
    // Three cuts, three new connections (a revoked token costs one refused login on reconnect).
    expect(logins.mock.results.filter((r) => r.value.ok).length).toBeGreaterThanOrEqual(3);
    expect(failures).toEqual([]);
    expect(containsJwt(bed.log.lines.join('\n'))).toBe(false);
  });

  it('survives the token expiring mid-session (BYE AccessTokenExpired) without user code', async () => {
    bed.sandbox.hooks.setTokenLifetime(3);
    const session = bed.kalisto.session(bed.sandbox.properties);
    const log = logSink();
    const seen = recorder();
    watcher = watch(session, 'INBOX', seen.handler, {
      ...FAST,
      renewBeforeExpiryMs: false,
      logger: log.logger,
    });
    await started(watcher);
    bed.sandbox.store.deliver([bed.user], message('first'));
    await vi.waitFor(() => expect(seen.subjects).toEqual(['first']), WAIT);
    await vi.waitFor(
      () => expect(log.lines.some((l) => l.includes('the token expired; reconnecting'))).toBe(true),
      WAIT,
    );
    bed.sandbox.store.deliver([bed.user], message('second'));
    await vi.waitFor(() => expect(seen.subjects).toEqual(['first', 'second']), WAIT);
  });

  it('renews the connection before the token expires instead of waiting for the BYE', async () => {
    bed.sandbox.hooks.setTokenLifetime(4);
    const session = bed.kalisto.session(bed.sandbox.properties);
    const log = logSink();
    const seen = recorder();
    watcher = watch(session, 'INBOX', seen.handler, { ...FAST, logger: log.logger });
    await started(watcher);
    await vi.waitFor(
      () => expect(log.lines.some((l) => l.includes('renewing the connection'))).toBe(true),
      WAIT,
    );
    bed.sandbox.store.deliver([bed.user], message('after renewal'));
    await vi.waitFor(() => expect(seen.subjects).toEqual(['after renewal']), WAIT);
    await watcher.stop();
    expect(log.lines.some((l) => l.includes('the token expired'))).toBe(false);
  });

  it('gives up after maxAuthFailures refused logins: done rejects with the AuthenticationError', async () => {
    const adele = bed.sandbox.fixtures.users.adele;
    const session = bed.kalisto.session({
      ...delegatedProperties(bed.sandbox, adele.upn, adele.password),
      'mail.imaps.user': bed.sandbox.fixtures.sharedMailbox,
    });
    const reports: { code: unknown; fatal: boolean }[] = [];
    watcher = watch(session, 'INBOX', () => {}, {
      ...FAST,
      maxAuthFailures: 2,
      onError: (error, info) => reports.push({ code: (error as { code?: unknown }).code, fatal: info.fatal }),
    });
    await expect(watcher.done).rejects.toMatchObject({
      name: 'AuthenticationError',
      code: 'AUTH_MAILBOX_NOT_CONNECTED',
    });
    expect(reports).toEqual([
      { code: 'AUTH_MAILBOX_NOT_CONNECTED', fatal: false },
      { code: 'AUTH_MAILBOX_NOT_CONNECTED', fatal: true },
    ]);
  });

  it('stops on its AbortSignal: done resolves and the connection is logged out', async () => {
    const session = bed.kalisto.session(bed.sandbox.properties);
    const controller = new AbortController();
    watcher = watch(session, 'INBOX', () => {}, { ...FAST, signal: controller.signal });
    await started(watcher);
    expect(imapConnections()).toBe(1);
    controller.abort();
    await expect(watcher.done).resolves.toBeUndefined();
    await vi.waitFor(() => expect(imapConnections()).toBe(0), WAIT);
  });

  it("starts from the folder's beginning with 'all' and after a saved position's UID", async () => {
    for (const subject of ['old 1', 'old 2', 'old 3'])
      bed.sandbox.store.deliver([bed.user], message(subject));
    const session = bed.kalisto.session(bed.sandbox.properties);
    const all = recorder();
    const checkpoints: WatchPosition[] = [];
    watcher = watch(session, 'INBOX', all.handler, {
      ...FAST,
      start: 'all',
      onCheckpoint: (position) => {
        checkpoints.push(position);
      },
    });
    await vi.waitFor(() => expect(all.subjects).toEqual(['old 1', 'old 2', 'old 3']), WAIT);
    const saved = watcher.position() as WatchPosition;
    expect(checkpoints).toHaveLength(3);
    expect(checkpoints.map((c) => c.uid)).toEqual([saved.uid - 2, saved.uid - 1, saved.uid]);
    await watcher.stop();

    const resumed = recorder();
    watcher = watch(session, 'INBOX', resumed.handler, { ...FAST, start: { ...saved, uid: saved.uid - 1 } });
    await vi.waitFor(() => expect(resumed.subjects).toEqual(['old 3']), WAIT);
  });

  it('re-baselines when UIDVALIDITY changed: only new messages, and the change is reported', async () => {
    bed.sandbox.store.deliver([bed.user], message('from an older folder generation'));
    const session: KalistoSession = bed.kalisto.session(bed.sandbox.properties);
    const changes: unknown[] = [];
    const seen = recorder();
    watcher = watch(session, 'INBOX', seen.handler, {
      ...FAST,
      start: { uid: 0, uidValidity: 1n },
      onUidValidityChange: (change) => changes.push(change),
    });
    await started(watcher);
    expect(changes).toEqual([{ previous: 1n, current: watcher.position()?.uidValidity }]);
    bed.sandbox.store.deliver([bed.user], message('new'));
    await vi.waitFor(() => expect(seen.subjects).toEqual(['new']), WAIT);
  });

  it('runs the handler again for a message whose handling the lost connection interrupted', async () => {
    const session = bed.kalisto.session(bed.sandbox.properties);
    const attempts: number[] = [];
    watcher = watch(
      session,
      'INBOX',
      async (msg, { client }) => {
        attempts.push(msg.uid);
        if (attempts.length === 1) (client as unknown as { socket: Socket }).socket.destroy();
        await client.messageFlagsAdd(String(msg.uid), ['\\Seen'], { uid: true });
      },
      { ...FAST, onError: () => {} },
    );
    await started(watcher);
    bed.sandbox.store.deliver([bed.user], message('interrupted'));
    await vi.waitFor(() => expect(watcher?.position()?.uid).toBe(attempts[0]), WAIT);
    expect(attempts).toHaveLength(2);
    expect(attempts[1]).toBe(attempts[0]);
    const inbox = bed.sandbox.store.mailbox(bed.user)?.folder('Inbox');
    expect([...(inbox?.messages.find((m) => m.uid === attempts[0])?.flags ?? [])]).toContain('\\Seen');
  });

  it('rejects done when a checkpoint cannot be saved', async () => {
    const session = bed.kalisto.session(bed.sandbox.properties);
    const failure = new Error('disk full');
    const seen = recorder();
    watcher = watch(session, 'INBOX', seen.handler, {
      ...FAST,
      onError: () => {},
      onCheckpoint: () => {
        throw failure;
      },
    });
    await started(watcher);
    bed.sandbox.store.deliver([bed.user], message('unsaved'));
    await expect(watcher.done).rejects.toBe(failure);
    expect(seen.subjects).toEqual(['unsaved']);
  });

  it('rejects done with the handler error and does not count the message as done', async () => {
    const session = bed.kalisto.session(bed.sandbox.properties);
    const failure = new Error('handler failed');
    watcher = watch(
      session,
      'INBOX',
      () => {
        throw failure;
      },
      { ...FAST, onError: () => {} },
    );
    await started(watcher);
    const before = watcher.position()?.uid;
    bed.sandbox.store.deliver([bed.user], message('poison'));
    await expect(watcher.done).rejects.toBe(failure);
    expect(watcher.position()?.uid).toBe(before);
  });
});
