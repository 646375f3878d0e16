/**
 * The POP3 dialect before login: the relay's greeting and CAPA (USER, SASL PLAIN, STLS when on offer,
 * TOP, UIDL), USER/PASS, AUTH PLAIN (initial response or continuation), STLS and QUIT. After login
 * the client talks to the mailbox server itself; a CAPA then is the server's own answer, so
 * PIPELINING shows up exactly when the server has it (RFC 2449: clients ask CAPA again after login).
 */
import { ClientConnection, type CloseReason, type LoginOutcome } from './client-connection.js';
import { decodeSaslPlain } from './sasl-plain.js';

/** The relay's own words, as data. */
export const POP3_REPLIES = {
  greeting: '+OK Kalisto relay ready.',
  loggedIn: '+OK Logged in.',
  bye: {
    'line-too-long': '-ERR Line too long.',
    idle: '-ERR Autologout; idle for too long.',
    'too-many-commands': '-ERR Too many commands before login.',
    'too-many-failures': '-ERR Too many failed logins.',
    shutdown: '-ERR [SYS/TEMP] The relay is shutting down.',
  } satisfies Record<CloseReason, string>,
  login: {
    'refused-credential': '-ERR [AUTH] Authentication failed.',
    unavailable: '-ERR [SYS/TEMP] The mailbox server cannot be reached right now; try again later.',
    refused:
      "-ERR [SYS/PERM] The mailbox server refused the relay's access to this mailbox; the relay's log says why.",
  } satisfies Record<LoginOutcome, string>,
  privacyRequired: '-ERR Start TLS first (STLS), then log in.',
  notYet: '-ERR Log in first: USER/PASS or AUTH PLAIN.',
} as const;

export class Pop3ClientConnection extends ClientConnection {
  /** The name given by USER, waiting for PASS. */
  #user: string | undefined;
  /** An AUTH PLAIN waiting for the client's response line. */
  #pendingAuth = false;

  /** The CAPA lines the relay answers before login. */
  capabilities(): string[] {
    const list: string[] = [];
    if (this.loginAllowed) list.push('USER', 'SASL PLAIN');
    if (this.tlsAvailable) list.push('STLS');
    list.push('TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'IMPLEMENTATION Kalisto-relay');
    return list;
  }

  protected greeting(): string {
    return `${POP3_REPLIES.greeting}\r\n`;
  }

  protected farewell(reason: CloseReason): string {
    return `${POP3_REPLIES.bye[reason]}\r\n`;
  }

  protected loginFailed(outcome: LoginOutcome): string {
    return `${POP3_REPLIES.login[outcome]}\r\n`;
  }

  protected loggedIn(): string {
    return `${POP3_REPLIES.loggedIn}\r\n`;
  }

  protected async step(): Promise<boolean> {
    const raw = this.buffer.line();
    if (raw === undefined) return false;
    const line = raw.toString('utf8');
    if (this.#pendingAuth) {
      this.#pendingAuth = false;
      await this.#plainResponse(line);
      return true;
    }
    if (!this.countCommand()) return false;
    const space = line.indexOf(' ');
    const verb = (space === -1 ? line : line.slice(0, space)).toUpperCase();
    const rest = space === -1 ? '' : line.slice(space + 1);
    await this.#run(verb, rest);
    return true;
  }

  async #run(verb: string, rest: string): Promise<void> {
    switch (verb) {
      case 'CAPA':
        this.write(`+OK Capability list follows\r\n${this.capabilities().join('\r\n')}\r\n.\r\n`);
        return;
      case 'QUIT':
        this.endWith('+OK Kalisto relay signing off.\r\n');
        return;
      case 'STLS':
        if (!this.tlsAvailable) {
          this.write('-ERR STLS is not available here.\r\n');
          return;
        }
        this.write('+OK Begin TLS negotiation.\r\n');
        this.startTls();
        return;
      case 'USER':
        if (!this.loginAllowed) {
          this.write(`${POP3_REPLIES.privacyRequired}\r\n`);
          return;
        }
        if (rest.trim() === '') {
          this.write('-ERR USER takes a user name.\r\n');
          return;
        }
        this.#user = rest.trim();
        this.write('+OK Send the password with PASS.\r\n');
        return;
      case 'PASS': {
        const user = this.#user;
        this.#user = undefined;
        if (user === undefined) {
          this.write('-ERR Send USER first.\r\n');
          return;
        }
        // The whole rest of the line: a password may contain spaces.
        await this.login(user, rest);
        return;
      }
      case 'AUTH':
        return this.#auth(rest);
      default:
        this.#user = undefined;
        this.write(`${POP3_REPLIES.notYet}\r\n`);
    }
  }

  async #auth(rest: string): Promise<void> {
    const [mechanism, initial, extra] = rest.trim().split(/\s+/);
    if (mechanism === undefined || mechanism === '') {
      // RFC 1734 clients list the mechanisms with a bare AUTH.
      this.write(this.loginAllowed ? '+OK\r\nPLAIN\r\n.\r\n' : '+OK\r\n.\r\n');
      return;
    }
    if (mechanism.toUpperCase() !== 'PLAIN' || extra !== undefined) {
      this.write('-ERR Unsupported authentication mechanism; this relay offers PLAIN.\r\n');
      return;
    }
    if (!this.loginAllowed) {
      this.write(`${POP3_REPLIES.privacyRequired}\r\n`);
      return;
    }
    if (initial === undefined) {
      this.#pendingAuth = true;
      this.write('+ \r\n');
      return;
    }
    await this.#plainResponse(initial === '=' ? '' : initial);
  }

  async #plainResponse(response: string): Promise<void> {
    if (response.trim() === '*') {
      this.write('-ERR AUTH cancelled.\r\n');
      return;
    }
    const credentials = decodeSaslPlain(response);
    if (credentials === undefined) {
      this.write('-ERR Invalid SASL PLAIN response.\r\n');
      return;
    }
    await this.login(credentials.user, credentials.password);
  }
}
