/**
 * The IMAP dialect before login: the relay's greeting and capabilities (what a legacy client can use
 * here: IMAP4rev1, STARTTLS, AUTH=PLAIN with SASL-IR, or LOGINDISABLED where a password may not
 * travel yet), CAPABILITY, ID, NOOP, LOGOUT, STARTTLS, LOGIN and AUTHENTICATE PLAIN. After login the
 * client talks to the mailbox server itself.
 */

import type { Socket } from 'node:net';
import {
  ClientConnection,
  type CloseReason,
  type ListenerContext,
  type LoginOutcome,
} from './client-connection.js';
import type { ImapArgument, ImapCommand } from './imap-command.js';
import { ImapCommandFramer } from './imap-command.js';
import type { ImapUpstream } from './imap-upstream.js';
import { decodeSaslPlain } from './sasl-plain.js';

/** The relay's own words, as data. */
export const IMAP_REPLIES = {
  greeting: 'Kalisto relay ready.',
  loggedIn: 'Logged in.',
  bye: {
    'line-too-long': 'Command line too long.',
    idle: 'Autologout; idle for too long.',
    'too-many-commands': 'Too many commands before login.',
    'too-many-failures': 'Too many failed logins.',
    shutdown: 'The relay is shutting down.',
  } satisfies Record<CloseReason, string>,
  login: {
    'refused-credential': 'NO [AUTHENTICATIONFAILED] Authentication failed.',
    unavailable: 'NO [UNAVAILABLE] The mailbox server cannot be reached right now; try again later.',
    refused:
      "NO [AUTHORIZATIONFAILED] The mailbox server refused the relay's access to this mailbox; the relay's log says why.",
  } satisfies Record<LoginOutcome, string>,
  privacyRequired: 'NO [PRIVACYREQUIRED] Start TLS first (STARTTLS), then log in.',
  notYet: 'BAD Log in first: LOGIN or AUTHENTICATE PLAIN.',
} as const;

export class ImapClientConnection extends ClientConnection {
  readonly #framer: ImapCommandFramer;
  /** The tag of an AUTHENTICATE PLAIN waiting for the client's response line. */
  #pendingAuthenticate: string | undefined;
  /** The tag of the login in progress, for its tagged reply. */
  #tag = '*';

  constructor(socket: Socket, context: ListenerContext) {
    super(socket, context);
    this.#framer = new ImapCommandFramer(context.options.maxLineBytes);
  }

  /** What the relay offers now. */
  capabilities(): string[] {
    const list = ['IMAP4rev1', 'ID', 'SASL-IR'];
    if (this.tlsAvailable) list.push('STARTTLS');
    list.push(this.loginAllowed ? 'AUTH=PLAIN' : 'LOGINDISABLED');
    return list;
  }

  protected greeting(): string {
    return `* OK [CAPABILITY ${this.capabilities().join(' ')}] ${IMAP_REPLIES.greeting}\r\n`;
  }

  protected farewell(reason: CloseReason): string {
    return `* BYE ${IMAP_REPLIES.bye[reason]}\r\n`;
  }

  protected loginFailed(outcome: LoginOutcome): string {
    return `${this.#tag} ${IMAP_REPLIES.login[outcome]}\r\n`;
  }

  protected loggedIn(upstream: ImapUpstream): string {
    const code = upstream.capabilities.length > 0 ? `[CAPABILITY ${upstream.capabilities.join(' ')}] ` : '';
    return `${this.#tag} OK ${code}${IMAP_REPLIES.loggedIn}\r\n`;
  }

  protected async step(): Promise<boolean> {
    if (this.#pendingAuthenticate !== undefined) {
      const line = this.buffer.line();
      if (line === undefined) return false;
      const tag = this.#pendingAuthenticate;
      this.#pendingAuthenticate = undefined;
      await this.#plainResponse(tag, line.toString('utf8'));
      return true;
    }
    const step = this.#framer.read(this.buffer);
    if (step === undefined) return false;
    if (step.kind === 'literal') {
      this.write('+ Ready for literal data.\r\n');
      return true;
    }
    if (!this.countCommand()) return false;
    if (step.kind === 'bad') {
      this.write(`${step.tag ?? '*'} BAD ${step.reason}\r\n`);
      return true;
    }
    await this.#run(step.command);
    return true;
  }

  async #run({ tag, name, args }: ImapCommand): Promise<void> {
    switch (name) {
      case 'CAPABILITY':
        this.write(`* CAPABILITY ${this.capabilities().join(' ')}\r\n${tag} OK CAPABILITY completed.\r\n`);
        return;
      case 'NOOP':
        this.write(`${tag} OK NOOP completed.\r\n`);
        return;
      case 'ID':
        this.write(`* ID ("name" "Kalisto relay")\r\n${tag} OK ID completed.\r\n`);
        return;
      case 'LOGOUT':
        this.endWith(`* BYE Kalisto relay logging out.\r\n${tag} OK LOGOUT completed.\r\n`);
        return;
      case 'STARTTLS':
        if (!this.tlsAvailable) {
          this.write(`${tag} BAD STARTTLS is not available here.\r\n`);
          return;
        }
        this.write(`${tag} OK Begin TLS negotiation now.\r\n`);
        this.startTls();
        return;
      case 'LOGIN':
        return this.#loginCommand(tag, args);
      case 'AUTHENTICATE':
        return this.#authenticate(tag, args);
      default:
        this.write(`${tag} ${IMAP_REPLIES.notYet}\r\n`);
    }
  }

  async #loginCommand(tag: string, args: ImapArgument[]): Promise<void> {
    const [user, password] = args;
    if (args.length !== 2 || typeof user !== 'string' || typeof password !== 'string') {
      this.write(`${tag} BAD LOGIN takes a user name and a password.\r\n`);
      return;
    }
    if (!this.loginAllowed) {
      this.write(`${tag} ${IMAP_REPLIES.privacyRequired}\r\n`);
      return;
    }
    this.#tag = tag;
    await this.login(user, password);
  }

  async #authenticate(tag: string, args: ImapArgument[]): Promise<void> {
    const [mechanism, initial] = args;
    if (typeof mechanism !== 'string' || args.length > 2) {
      this.write(`${tag} BAD AUTHENTICATE takes a mechanism and an optional initial response.\r\n`);
      return;
    }
    if (mechanism.toUpperCase() !== 'PLAIN') {
      this.write(`${tag} NO Unsupported authentication mechanism; this relay offers PLAIN.\r\n`);
      return;
    }
    if (!this.loginAllowed) {
      this.write(`${tag} ${IMAP_REPLIES.privacyRequired}\r\n`);
      return;
    }
    if (initial === undefined) {
      this.#pendingAuthenticate = tag;
      this.write('+ \r\n');
      return;
    }
    if (typeof initial !== 'string') {
      this.write(`${tag} BAD Invalid initial response.\r\n`);
      return;
    }
    await this.#plainResponse(tag, initial === '=' ? '' : initial);
  }

  async #plainResponse(tag: string, response: string): Promise<void> {
    if (response.trim() === '*') {
      this.write(`${tag} BAD AUTHENTICATE cancelled.\r\n`);
      return;
    }
    const credentials = decodeSaslPlain(response);
    if (credentials === undefined) {
      this.write(`${tag} BAD Invalid SASL PLAIN response.\r\n`);
      return;
    }
    this.#tag = tag;
    await this.login(credentials.user, credentials.password);
  }
}
