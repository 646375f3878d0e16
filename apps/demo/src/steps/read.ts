import type { KalistoSession } from '@kalisto/core';
import type { TourStep } from '../tour-output.js';
import type { TourState } from '../tour-state.js';

const TRANSPORT_SECURITY = {
  imap: 'STARTTLS (like port 143)',
  imaps: 'implicit TLS (like outlook.office365.com:993)',
  pop3: 'STLS (like port 110)',
  pop3s: 'implicit TLS (like outlook.office365.com:995)',
} as const;

function missing(subjects: readonly string[], found: readonly string[]): string[] {
  return subjects.filter((s) => !found.includes(s));
}

/** Fails the step unless every message the tour sent is in the mailbox. */
function expectDelivered(subjects: readonly string[], found: readonly string[], where: string): void {
  const absent = missing(subjects, found);
  if (absent.length > 0) throw new Error(`Not found in ${where}: ${absent.join('; ')}.`);
}

/** Step: list the inbox over `imap`/`imaps` (imapflow) and find the messages sent earlier. */
export function imapReadStep(
  protocol: 'imap' | 'imaps',
  who: 'app' | 'user',
  state: () => TourState,
): TourStep {
  const identity =
    who === 'app' ? 'the app-only session (client credentials)' : 'the delegated session (password grant)';
  return {
    title: `Read over ${protocol}${who === 'user' ? ' (delegated)' : ''}`,
    explanation: `session.store('${protocol}') returns an imapflow client logged in with XOAUTH2 over ${TRANSPORT_SECURITY[protocol]}, here for ${identity}. A refused token is invalidated, refreshed once and retried.`,
    async run() {
      const s = state();
      const session: KalistoSession = who === 'app' ? s.appSession : s.userSession;
      const mailbox = who === 'app' ? s.mailbox : s.user;
      const client = await session.store(protocol);
      const found: string[] = [];
      const lock = await client.getMailboxLock('INBOX');
      try {
        for await (const message of client.fetch('1:*', { envelope: true, uid: true })) {
          if (message.envelope?.subject) found.push(message.envelope.subject);
        }
      } finally {
        lock.release();
      }
      expectDelivered(s.subjects, found, `${mailbox}'s INBOX`);
      return {
        lines: [`${mailbox} INBOX: ${found.length} messages`, ...found.map((subject) => `  • ${subject}`)],
        outcome: `${found.length} messages in ${mailbox}'s INBOX`,
      };
    },
  };
}

/** The Subject header of a header block (unfolded; encoded words are left as they are). */
function subjectOf(headers: Buffer): string | undefined {
  const unfolded = headers.toString('utf8').replace(/\r?\n[ \t]+/g, ' ');
  return /^subject:[ \t]*(.*)$/im.exec(unfolded)?.[1]?.trim();
}

/** Step: list the maildrop over `pop3`/`pop3s` (Kalisto's own client) and find the messages. */
export function pop3ReadStep(protocol: 'pop3' | 'pop3s', state: () => TourState): TourStep {
  return {
    title: `Read over ${protocol}`,
    explanation: `session.store('${protocol}') returns Kalisto's POP3 client, logged in over ${TRANSPORT_SECURITY[protocol]} with AUTH XOAUTH2 sent on two lines, the form Exchange Online accepts.`,
    async run() {
      const { appSession, mailbox, subjects } = state();
      const client = await appSession.store(protocol);
      const stat = await client.stat();
      const found: string[] = [];
      for (const entry of await client.list()) {
        const subject = subjectOf(await client.top(entry.number, 0));
        if (subject !== undefined) found.push(subject);
      }
      expectDelivered(subjects, found, `${mailbox}'s maildrop`);
      return {
        lines: [`${mailbox}: ${stat.count} messages, ${stat.size} octets`],
        outcome: `${stat.count} messages in ${mailbox}'s maildrop`,
      };
    },
  };
}
