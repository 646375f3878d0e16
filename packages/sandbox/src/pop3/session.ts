/**
 * One POP3 conversation (RFC 1939, CAPA/RESP-CODES of RFC 2449, STLS of RFC 2595, AUTH of
 * RFC 5034), independent of sockets: it consumes command lines and writes replies to a transport.
 */
import { encodeSaslErrorChallenge, type OAuthBearerCredentials } from '@kalisto/core/plugin';
import type { MailAuthResult, MailAuthVerifier, MailStore, StoredMessage } from '../contracts.js';
import { parseSaslResponse } from '../sasl.js';
import { Maildrop, messageTop, multilineBody } from './maildrop.js';
import type { ResolvedPop3Behaviour } from './options.js';
import { POP3_REPLIES as R } from './replies.js';

/** What a session needs from its connection. */
export interface Pop3Transport {
  /** True once the connection is encrypted (implicit TLS, or after STLS). */
  readonly secure: boolean;
  /** Writes raw bytes (replies end in CRLF already). */
  write(data: Buffer): void;
  /** Closes the connection after what was written; the session sends nothing more. */
  close(): void;
  /** Starts the TLS handshake; input received after the STLS line is discarded. */
  startTls(): void;
}

export interface Pop3SessionContext {
  store: MailStore;
  auth: MailAuthVerifier;
  behaviour: ResolvedPop3Behaviour;
  now: () => number;
}

type Mechanism = 'XOAUTH2' | 'OAUTHBEARER';
type State = 'authorization' | 'transaction' | 'closed';

/** What one client line produces: a status line, maybe a multi-line body, maybe an action after it. */
interface Reply {
  line: string;
  body?: Buffer;
  /** A command the client should not have sent; too many of them end the session. */
  bad?: boolean;
  after?: 'close' | 'starttls';
}

const reply = (line: string, body?: Buffer): Reply => ({ line, body });
const bad = (line: string): Reply => ({ line, bad: true });
const fatal = (line: string): Reply => ({ line, after: 'close' });
const lines = (texts: readonly string[]): Buffer => Buffer.from(`${texts.join('')}.\r\n`, 'latin1');

/** How many (numeric) arguments each TRANSACTION-state command takes: [min, max]. */
const TRANSACTION_ARITY: Record<string, readonly [number, number]> = {
  STAT: [0, 0],
  NOOP: [0, 0],
  RSET: [0, 0],
  LIST: [0, 1],
  UIDL: [0, 1],
  RETR: [1, 1],
  DELE: [1, 1],
  TOP: [2, 2],
};

/** The client's SASL response, or undefined when it is malformed. */
function decodeResponse(mechanism: Mechanism, response: string): OAuthBearerCredentials | undefined {
  try {
    return parseSaslResponse(mechanism, response);
  } catch {
    return undefined;
  }
}

/** The scope Exchange's POP3 needs, sent in the OAUTHBEARER error challenge. */
const POP_SCOPE = 'https://outlook.office.com/POP.AccessAsUser.All';

export class Pop3Session {
  #state: State = 'authorization';
  #maildrop: Maildrop | undefined;
  #grant: Extract<MailAuthResult, { ok: true }> | undefined;
  /** The next line answers an AUTH continuation, not a command. */
  #pendingAuth: { mechanism: Mechanism; failedChallenge: boolean } | undefined;
  #badCommands = 0;

  constructor(
    private readonly transport: Pop3Transport,
    private readonly context: Pop3SessionContext,
  ) {}

  /** True until QUIT, a fatal error or `end()`. */
  get open(): boolean {
    return this.#state !== 'closed';
  }

  start(): void {
    this.#send(reply(R.greeting));
  }

  /** Handles one line from the client (without its CRLF). */
  handleLine(line: Buffer): void {
    if (this.#state === 'closed') return;
    const text = line.toString('latin1');
    const pending = this.#pendingAuth;
    if (pending) {
      this.#pendingAuth = undefined;
      this.#send(this.#continueAuth(pending, text));
      return;
    }
    const [keyword = '', ...args] = text.split(' ').filter((part) => part.length > 0);
    this.#send(this.#command(keyword.toUpperCase(), args));
  }

  /** The client sent a line longer than the limit. */
  lineTooLong(): void {
    if (this.open) this.#send(fatal(R.lineTooLong));
  }

  /** The client was silent for too long. */
  timedOut(): void {
    if (this.open) this.#send(fatal(R.idleTimeout));
  }

  /** The connection went away without QUIT: deletion marks are dropped (no UPDATE state). */
  end(): void {
    this.#state = 'closed';
  }

  #command(keyword: string, args: string[]): Reply {
    const invalidated = this.#state === 'transaction' ? this.#grantInvalidated() : undefined;
    if (invalidated) return invalidated;
    switch (keyword) {
      case 'CAPA':
        return this.#capa(args);
      case 'QUIT':
        return this.#quit(args);
      case 'STLS':
        return this.#stls(args);
      case 'AUTH':
        return this.#authenticate(args);
      case 'USER':
      case 'PASS':
        return this.#basic(keyword, args);
      case 'STAT':
      case 'LIST':
      case 'UIDL':
      case 'TOP':
      case 'RETR':
      case 'DELE':
      case 'RSET':
      case 'NOOP':
        return this.#maildrop ? this.#transactionCommand(this.#maildrop, keyword, args) : bad(R.wrongState);
      default:
        return bad(R.unknownCommand);
    }
  }

  #capa(args: string[]): Reply {
    if (args.length > 0) return bad(R.syntaxError);
    const authAllowed = this.#state === 'authorization' && this.#authAllowedHere();
    const mechanisms = this.context.behaviour.oauthBearer ? 'XOAUTH2 OAUTHBEARER' : 'XOAUTH2';
    const capabilities = [
      'TOP',
      'UIDL',
      ...(authAllowed ? [`SASL ${mechanisms}`, 'USER'] : []),
      'PIPELINING',
      'RESP-CODES',
      ...(this.#state === 'authorization' && !this.transport.secure ? ['STLS'] : []),
    ];
    return reply(R.capabilities, lines(capabilities.map((c) => `${c}\r\n`)));
  }

  #quit(args: string[]): Reply {
    if (args.length > 0) return bad(R.syntaxError);
    this.#maildrop?.commit();
    return { line: R.signOff, after: 'close' };
  }

  #stls(args: string[]): Reply {
    if (args.length > 0) return bad(R.syntaxError);
    if (this.#state !== 'authorization' || this.transport.secure) return bad(R.wrongState);
    return { line: R.beginTls, after: 'starttls' };
  }

  #authAllowedHere(): boolean {
    return this.transport.secure || this.context.behaviour.allowInsecureAuth;
  }

  #basic(keyword: 'USER' | 'PASS', args: string[]): Reply {
    if (this.#state !== 'authorization') return bad(R.wrongState);
    if (!this.#authAllowedHere()) return bad(R.tlsRequired);
    if (args.length === 0) return bad(R.syntaxError);
    return reply(keyword === 'USER' ? R.ok : R.logonFailure);
  }

  #authenticate(args: string[]): Reply {
    if (this.#state !== 'authorization') return bad(R.wrongState);
    if (!this.#authAllowedHere()) return bad(R.tlsRequired);
    const [name, initialResponse, ...extra] = args;
    if (!name || extra.length > 0) return bad(R.syntaxError);
    const mechanism = name.toUpperCase();
    if (mechanism !== 'XOAUTH2' && !(mechanism === 'OAUTHBEARER' && this.context.behaviour.oauthBearer)) {
      return reply(R.unknownMechanism);
    }
    if (initialResponse === undefined) {
      this.#pendingAuth = { mechanism, failedChallenge: false };
      return reply(R.continuation);
    }
    if (mechanism === 'XOAUTH2' && !this.context.behaviour.saslIr) return fatal(R.saslIrRefused);
    return this.#finishAuth(mechanism, initialResponse);
  }

  #continueAuth(pending: { mechanism: Mechanism; failedChallenge: boolean }, text: string): Reply {
    // After an OAUTHBEARER error challenge the client's answer (a dummy ^A) only ends the exchange.
    if (pending.failedChallenge) return reply(R.authFailed);
    if (text.trim() === '*') return reply(R.authAborted);
    return this.#finishAuth(pending.mechanism, text);
  }

  #finishAuth(mechanism: Mechanism, response: string): Reply {
    const credentials = decodeResponse(mechanism, response);
    const result = credentials ? this.#verify(mechanism, credentials) : undefined;
    if (!result?.ok) {
      if (mechanism === 'OAUTHBEARER' && credentials) {
        // RFC 7628 section 3.2.2: a failure is a challenge the client answers before the -ERR.
        this.#pendingAuth = { mechanism, failedChallenge: true };
        return reply(
          `+ ${encodeSaslErrorChallenge({ status: 'invalid_token', schemes: 'bearer', scope: POP_SCOPE })}`,
        );
      }
      return reply(R.authFailed);
    }
    const inbox = this.context.store.mailbox(result.mailbox)?.folder('Inbox');
    if (!inbox) return reply(R.authFailed);
    this.#grant = result;
    this.#maildrop = new Maildrop(inbox);
    this.#state = 'transaction';
    return reply(R.authenticated);
  }

  #verify(mechanism: Mechanism, credentials: OAuthBearerCredentials): MailAuthResult | undefined {
    try {
      const { user, accessToken: token } = credentials;
      return this.context.auth.verify({ mechanism, user, token, protocol: 'pop3' });
    } catch {
      // A verifier failure must look like a refused token to the client, not end the server.
      return undefined;
    }
  }

  /** The fatal reply once the session's token expired or was revoked. */
  #grantInvalidated(): Reply | undefined {
    const grant = this.#grant;
    if (!grant || !this.context.behaviour.expireSessions) return undefined;
    if (this.context.auth.isRevoked(grant.tokenId)) return fatal(R.tokenRevoked);
    if (this.context.now() >= grant.expiresAt) return fatal(R.tokenExpired);
    return undefined;
  }

  #transactionCommand(maildrop: Maildrop, keyword: string, args: string[]): Reply {
    const numbers = args.map((arg) => (/^\d{1,9}$/.test(arg) ? Number(arg) : Number.NaN));
    if (numbers.some(Number.isNaN)) return bad(R.syntaxError);
    const [first, second] = numbers;
    const [min, max] = TRANSACTION_ARITY[keyword] ?? [0, 0];
    if (args.length < min || args.length > max) return bad(R.syntaxError);
    switch (keyword) {
      case 'STAT': {
        const { count, size } = maildrop.stat();
        return reply(`+OK ${count} ${size}`);
      }
      case 'NOOP':
        return reply(R.ok);
      case 'RSET':
        maildrop.reset();
        return reply(R.ok);
      case 'LIST':
      case 'UIDL':
        return this.#scanListing(maildrop, keyword, first);
    }
    const found = maildrop.lookup(first ?? 0);
    if (!found.ok) return reply(found.reason === 'deleted' ? R.messageDeleted : R.noSuchMessage);
    if (keyword === 'DELE') {
      maildrop.markDeleted(found.number);
      return reply(R.ok);
    }
    if (keyword === 'TOP') return reply(R.ok, multilineBody(messageTop(found.message.raw, second ?? 0)));
    return reply(`+OK ${found.message.raw.length} octets`, multilineBody(found.message.raw));
  }

  /** LIST and UIDL, for one message or all of them (RFC 1939 "scan listing" and "unique-id listing"). */
  #scanListing(maildrop: Maildrop, keyword: 'LIST' | 'UIDL', number: number | undefined): Reply {
    const describe = (message: StoredMessage) =>
      keyword === 'LIST' ? String(message.raw.length) : maildrop.uniqueId(message);
    if (number === undefined) {
      const { count, size } = maildrop.stat();
      const status = keyword === 'LIST' ? `+OK ${count} messages (${size} octets)` : R.ok;
      return reply(
        status,
        lines(maildrop.live().map(({ number: n, message }) => `${n} ${describe(message)}\r\n`)),
      );
    }
    const found = maildrop.lookup(number);
    if (!found.ok) return reply(found.reason === 'deleted' ? R.messageDeleted : R.noSuchMessage);
    return reply(`+OK ${found.number} ${describe(found.message)}`);
  }

  #send(next: Reply): void {
    let { line, body, after } = next;
    if (next.bad) {
      this.#badCommands += 1;
      if (this.#badCommands >= this.context.behaviour.maxBadCommands) {
        ({ line, body, after } = fatal(R.tooManyErrors));
      }
    }
    const status = Buffer.from(`${line}\r\n`, 'latin1');
    this.transport.write(body ? Buffer.concat([status, body]) : status);
    if (after === 'starttls') this.transport.startTls();
    if (after === 'close') {
      this.#state = 'closed';
      this.#pendingAuth = undefined;
      this.transport.close();
    }
  }
}
