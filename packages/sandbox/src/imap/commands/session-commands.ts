/** Commands about the connection itself: CAPABILITY, NOOP, LOGOUT, ID, STARTTLS, ENABLE, NAMESPACE. */
import type { CommandSpec, ImapSession } from '../session.js';

const ANY = ['not-authenticated', 'authenticated', 'selected', 'not-connected'] as const;
const AUTHENTICATED = ['authenticated', 'selected'] as const;

/** Exchange Online's capability list; before TLS on the plain port it offers STARTTLS and no AUTH=. */
export function capabilities(session: ImapSession): string {
  const caps = ['IMAP4', 'IMAP4rev1'];
  if (!session.secure) {
    caps.push('LOGINDISABLED', 'STARTTLS');
  } else if (session.state === 'not-authenticated') {
    caps.push('AUTH=PLAIN', 'AUTH=XOAUTH2');
    if (session.context.behaviour.oauthBearer) caps.push('AUTH=OAUTHBEARER');
  }
  caps.push('SASL-IR', 'UIDPLUS', 'MOVE', 'ID', 'UNSELECT', 'CHILDREN', 'IDLE', 'NAMESPACE', 'LITERAL+');
  return caps.join(' ');
}

export const sessionCommands: Record<string, CommandSpec> = {
  CAPABILITY: {
    states: ANY,
    run(session, command) {
      session.untagged(`CAPABILITY ${capabilities(session)}`);
      session.complete(command, 'OK', 'CAPABILITY completed.');
    },
  },
  NOOP: {
    states: ANY,
    run: (session, command) => session.complete(command, 'OK', 'NOOP completed.'),
  },
  CHECK: {
    states: ['selected'],
    run: (session, command) => session.complete(command, 'OK', 'CHECK completed.'),
  },
  LOGOUT: {
    states: ANY,
    run(session, command) {
      session.untagged('BYE Microsoft Exchange Server IMAP4 server signing off.');
      session.tagged(command.tag, 'OK', 'LOGOUT completed.');
      session.closeAfterLogout();
    },
  },
  ID: {
    states: ANY,
    run(session, command) {
      session.untagged('ID ("name" "Kalisto Sandbox" "vendor" "Exchange Online emulation")');
      session.complete(command, 'OK', 'ID completed.');
    },
  },
  STARTTLS: {
    states: ['not-authenticated'],
    run(session, command) {
      if (session.secure) {
        session.tagged(command.tag, 'BAD', 'Command received in Invalid state.');
        return;
      }
      session.tagged(command.tag, 'OK', 'Begin TLS negotiation now.');
      session.startTls();
    },
  },
  ENABLE: {
    states: AUTHENTICATED,
    run(session, command) {
      // No extension that ENABLE switches on is implemented, so none is reported enabled.
      session.untagged('ENABLED');
      session.complete(command, 'OK', 'ENABLE completed.');
    },
  },
  NAMESPACE: {
    states: AUTHENTICATED,
    run(session, command) {
      session.untagged('NAMESPACE (("" "/")) NIL NIL');
      session.complete(command, 'OK', 'NAMESPACE completed.');
    },
  },
};
