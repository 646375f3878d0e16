/**
 * The mailbox the real-server rows read: messages written straight into the reader's Dovecot maildir
 * (not measured), and byte-exactness judged by SHA-256 whatever order the server lists them in.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { InteropServers } from './interop.js';
import { RawPop3Reader } from './raw-pop3.js';
import type { SandboxProcess } from './sandbox-process.js';
import type { WrittenMaildir } from './sandbox-protocol.js';

export const REAL_MESSAGES = 2_000;
export const REAL_SIZE = 35_000;

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** How many of `digests` (hex SHA-256 of what a client received) are messages of the mailbox, each once. */
export function exactCount(expected: readonly string[], digests: Iterable<string>): number {
  const left = new Map<string, number>();
  for (const digest of expected) left.set(digest, (left.get(digest) ?? 0) + 1);
  let exact = 0;
  for (const digest of digests) {
    const n = left.get(digest) ?? 0;
    if (n > 0) {
      exact++;
      left.set(digest, n - 1);
    }
  }
  return exact;
}

const filled = new WeakMap<InteropServers, Map<string, Promise<WrittenMaildir>>>();

/**
 * Fills `user`'s maildir once per run ({@link REAL_MESSAGES} × ~{@link REAL_SIZE} bytes of the
 * sandbox's generated messages, 1 in 4 with dot-stuffed lines; with `dots`, the dot-heavy ones where
 * half the lines are), then logs in once so that Dovecot indexes them before any round.
 */
export function fillMailbox(
  servers: InteropServers,
  sandbox: SandboxProcess,
  user: string,
  dots = false,
): Promise<WrittenMaildir> {
  const mine = filled.get(servers) ?? new Map<string, Promise<WrittenMaildir>>();
  filled.set(servers, mine);
  let written = mine.get(user);
  if (written === undefined) {
    written = (async () => {
      const result = await sandbox.request<WrittenMaildir>({
        op: 'writeMaildir',
        mailbox: user,
        directory: join(servers.dovecot.mailRoot, user),
        count: REAL_MESSAGES,
        size: REAL_SIZE,
        dots,
      });
      const first = await RawPop3Reader.open({
        host: '127.0.0.1',
        port: servers.dovecot.pop3s,
        ca: sandbox.ca,
        user,
        accessToken: await servers.token(user),
      });
      await first.quit();
      return result;
    })();
    mine.set(user, written);
  }
  return written;
}
