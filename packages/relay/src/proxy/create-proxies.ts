/** The two listener factories: the same listener, each with its dialect. */
import { ImapClientConnection } from './imap-connection.js';
import { createListener, type MailProxy } from './listener.js';
import type { MailProxyOptions } from './options.js';
import { Pop3ClientConnection } from './pop3-connection.js';

/**
 * An IMAP listener for clients that can only send a password: they log in with a relay credential
 * (LOGIN or AUTHENTICATE PLAIN), the relay logs in to the mailbox server with the mailbox session's
 * OAuth2 token (XOAUTH2), then carries the bytes both ways untouched. Call `listen()` to start.
 */
export function createImapProxy(options: MailProxyOptions): MailProxy {
  return createListener('imap', options, (socket, context) => new ImapClientConnection(socket, context));
}

/**
 * A POP3 listener for clients that can only send a password: USER/PASS or AUTH PLAIN with a relay
 * credential, then XOAUTH2 upstream with the mailbox session's token, then the bytes both ways.
 */
export function createPop3Proxy(options: MailProxyOptions): MailProxy {
  return createListener('pop3', options, (socket, context) => new Pop3ClientConnection(socket, context));
}
