/**
 * One IMAP connection: framing, state, dispatch, change notifications, and Exchange Online's
 * session rules (token expiry BYE, revocation, throttling, "not connected" after an OK login).
 */
import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import type { MailAuthVerifier, Mailbox, MailFolder, MailStore } from '../contracts.js';
import { CommandReader, type FramedCommand } from './command-reader.js';
import { COMMANDS } from './commands/index.js';
import { ImapCommandError } from './errors.js';
import { type ResponsePart, toWire } from './format.js';
import { Selection } from './selection.js';
import { ImapSyntaxError, type ParsedCommand, parseCommand, tagOf } from './tokenizer.js';

/** RFC 3501 states, plus Exchange's `not-connected`: logged in, but the mailbox cannot be opened. */
export type SessionState = 'not-authenticated' | 'authenticated' | 'not-connected' | 'selected' | 'logout';

/** Resolved server behaviour (see ImapBehaviour for the meaning of each switch). */
export interface ResolvedImapBehaviour {
  oauthBearer: boolean;
  byeOnTokenExpiry: boolean;
  throttle: { everyNthCommand: number; backoffMs: number } | undefined;
  maxLiteralBytes: number;
  idleTimeoutMs: number;
  maxLineBytes: number;
  now: () => number;
}

/** What every session of one server shares. */
export interface ImapServerContext {
  store: MailStore;
  auth: MailAuthVerifier;
  behaviour: ResolvedImapBehaviour;
  secureContext: SecureContext;
  /** Per mailbox, the lower-case names of folders the user unsubscribed (all start subscribed). */
  unsubscribed: WeakMap<Mailbox, Set<string>>;
}

/** Runs one command; it replies through the session (and may throw ImapSyntaxError for BAD). */
export type CommandHandler = (session: ImapSession, command: ParsedCommand) => void;

export interface CommandSpec {
  /** States in which the command is valid; elsewhere: `BAD Command received in Invalid state.` */
  states: readonly SessionState[];
  run: CommandHandler;
  /** FETCH, STORE and SEARCH by sequence number must not see EXPUNGE responses (RFC 3501 7.4.1). */
  holdsExpunges?: boolean;
}

/** Exchange's reply texts and BYE reason. */
export const INVALID_STATE = 'Command received in Invalid state.';
export const NOT_CONNECTED = 'User is authenticated but not connected.';
export const TOKEN_EXPIRED_BYE = 'Session invalidated - AccessTokenExpired';
/** How long an ending connection waits for the client to close its side before dropping it. */
const CLOSE_GRACE_MS = 5_000;
const GREETING = 'The Microsoft Exchange IMAP4 service is ready.';

/** One client connection, from greeting to BYE. */
export class ImapSession {
  state: SessionState = 'not-authenticated';
  mailbox: Mailbox | undefined;
  selection: Selection | undefined;
  /** The verified token's id (for revocation checks) and expiry (epoch ms). */
  #tokenId: string | undefined;
  #expiresAt = Number.POSITIVE_INFINITY;
  #expiryTimer: NodeJS.Timeout | undefined;
  #continuation: ((line: string) => void) | undefined;
  #idleTag: string | undefined;
  #commandCount = 0;
  #reader: CommandReader;
  #closed = false;

  constructor(
    private socket: Socket,
    readonly context: ImapServerContext,
    public secure: boolean,
    private readonly onClose: (session: ImapSession) => void,
  ) {
    this.#reader = this.#newReader();
    this.#attach(socket);
    this.untagged(`OK ${GREETING}`);
  }

  // ---- wire -------------------------------------------------------------------------------

  #newReader(): CommandReader {
    const { maxLineBytes, maxLiteralBytes } = this.context.behaviour;
    return new CommandReader(
      { maxLineBytes, maxLiteralBytes },
      {
        command: (command) => this.#safely(() => this.#onCommand(command)),
        continueLiteral: () => this.send('+ Ready for additional command text.\r\n'),
        literalTooLarge: (line) => {
          const tag = tagOf(line);
          this.send(`${tag ?? '*'} BAD [TOOBIG] Literal exceeds the maximum message size.\r\n`);
        },
        lineTooLong: () => this.bye('Line too long.'),
      },
    );
  }

  #attach(socket: Socket): void {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.#reader.push(chunk));
    socket.on('error', () => this.#cleanup());
    socket.on('close', () => this.#cleanup());
    socket.setTimeout(this.context.behaviour.idleTimeoutMs, () => {
      // After BYE the timer bounds how long a client may keep its side open; then it is dropped.
      if (this.#closed) socket.destroy();
      else this.bye('Connection timed out due to inactivity.');
    });
  }

  send(parts: ResponsePart): void {
    const socket = this.socket;
    if (this.#closed || socket.destroyed || !socket.writable) return;
    // A client that does not read its responses stops being read from, so pipelined FETCHes
    // cannot pile up unbounded output in memory.
    if (!socket.write(toWire(parts)) && !socket.isPaused()) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
  }

  untagged(text: ResponsePart): void {
    this.send(['* ', text, '\r\n']);
  }

  tagged(tag: string, status: 'OK' | 'NO' | 'BAD', text: string): void {
    this.send(`${tag} ${status} ${text}\r\n`);
  }

  /** Sends `* BYE text` and closes the connection. */
  bye(text: string): void {
    if (this.#closed) return;
    this.untagged(`BYE ${text}`);
    this.closeAfterLogout();
  }

  /** Ends the connection after LOGOUT's tagged OK. */
  closeAfterLogout(): void {
    this.state = 'logout';
    this.socket.end();
    this.socket.setTimeout(CLOSE_GRACE_MS);
    this.#cleanup();
  }

  /** Ends the connection without a word (server shutdown). */
  destroy(): void {
    this.socket.destroy();
    this.#cleanup();
  }

  #cleanup(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#expiryTimer);
    this.selection?.dispose();
    this.selection = undefined;
    this.onClose(this);
  }

  /** The next line the client sends is handed to `handler` (SASL responses, IDLE's DONE). */
  expectContinuation(handler: (line: string) => void): void {
    this.#continuation = handler;
  }

  /** Replaces the plain socket with a TLS one (STARTTLS); anything pipelined before is dropped. */
  startTls(): void {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('timeout');
    plain.setTimeout(0);
    this.#reader.stop();
    this.#reader = this.#newReader();
    const secure = new TLSSocket(plain, { isServer: true, secureContext: this.context.secureContext });
    this.secure = true;
    this.#attach(secure);
  }

  // ---- state ------------------------------------------------------------------------------

  /** A verified token opened `mailbox`; the session ends with a BYE when the token expires. */
  authenticate(mailbox: Mailbox, tokenId: string, expiresAt: number): void {
    this.state = 'authenticated';
    this.mailbox = mailbox;
    this.#tokenId = tokenId;
    this.#expiresAt = expiresAt;
    const { byeOnTokenExpiry, now } = this.context.behaviour;
    if (byeOnTokenExpiry) {
      const delay = Math.max(0, Math.min(expiresAt - now(), 2_147_483_647));
      this.#expiryTimer = setTimeout(() => this.bye(TOKEN_EXPIRED_BYE), delay);
      this.#expiryTimer.unref();
    }
  }

  select(folder: MailFolder, readOnly: boolean): Selection {
    this.deselect();
    this.selection = new Selection(folder, readOnly, () => {
      if (this.#idleTag !== undefined) this.flush(true);
    });
    this.state = 'selected';
    return this.selection;
  }

  deselect(): void {
    this.selection?.dispose();
    this.selection = undefined;
    if (this.state === 'selected') this.state = 'authenticated';
  }

  /** Writes queued EXISTS/EXPUNGE/FETCH notifications of the selected folder. */
  flush(allowExpunge: boolean): void {
    for (const line of this.selection?.drain(allowExpunge) ?? []) this.send(`${line}\r\n`);
  }

  /** Enters IDLE: changes are pushed at once until the client sends DONE. */
  idle(tag: string): void {
    this.#idleTag = tag;
    this.send('+ IDLE accepted, awaiting DONE command.\r\n');
    this.flush(true);
    this.expectContinuation((line) => {
      this.#idleTag = undefined;
      if (line.trim().toUpperCase() === 'DONE') this.tagged(tag, 'OK', 'IDLE completed.');
      else this.tagged(tag, 'BAD', 'Expected DONE.');
    });
  }

  // ---- dispatch ---------------------------------------------------------------------------

  /**
   * Runs socket-driven work so that nothing thrown (e.g. by an injected verifier) escapes into the
   * socket's event handler and takes the whole server down: the one connection ends instead.
   */
  #safely(work: () => void): void {
    try {
      work();
    } catch {
      this.bye('Internal server error.');
    }
  }

  #onCommand(framed: FramedCommand): void {
    if (this.#closed) return;
    const continuation = this.#continuation;
    if (continuation) {
      this.#continuation = undefined;
      continuation(framed.lines[0] ?? '');
      return;
    }
    let command: ParsedCommand;
    try {
      command = parseCommand(framed);
    } catch (error) {
      const tag = error instanceof ImapSyntaxError ? error.tag : undefined;
      const reason = error instanceof Error ? error.message : 'Invalid command';
      this.send(`${tag ?? '*'} BAD Command Error. ${reason}\r\n`);
      return;
    }
    this.#execute(command);
  }

  #execute(command: ParsedCommand): void {
    const spec = COMMANDS.get(command.name);
    if (!spec) {
      this.tagged(command.tag, 'BAD', 'Command Error. 12');
      return;
    }
    if (this.state === 'not-connected' && command.name !== 'LOGOUT' && command.name !== 'CAPABILITY') {
      this.tagged(command.tag, 'BAD', NOT_CONNECTED);
      return;
    }
    if (!spec.states.includes(this.state)) {
      this.tagged(command.tag, 'BAD', INVALID_STATE);
      return;
    }
    if (this.#tokenInvalid()) {
      this.bye(TOKEN_EXPIRED_BYE);
      return;
    }
    if (this.#throttled(command)) return;
    try {
      spec.run(this, command);
    } catch (error) {
      if (error instanceof ImapSyntaxError)
        this.tagged(command.tag, 'BAD', `Command Error. ${error.message}`);
      else if (error instanceof ImapCommandError) this.tagged(command.tag, 'NO', error.message);
      else throw error; // not ours to explain to the client: #safely ends the connection
    }
  }

  /**
   * Revoked, or expired by the server clock. The timer set at login covers a real clock; this check
   * also catches an injected clock that was moved forward.
   */
  #tokenInvalid(): boolean {
    if (this.#tokenId === undefined) return false;
    const { byeOnTokenExpiry, now } = this.context.behaviour;
    return this.context.auth.isRevoked(this.#tokenId) || (byeOnTokenExpiry && now() >= this.#expiresAt);
  }

  #throttled(command: ParsedCommand): boolean {
    const throttle = this.context.behaviour.throttle;
    if (!throttle || this.state === 'not-authenticated' || command.name === 'LOGOUT') return false;
    this.#commandCount++;
    if (this.#commandCount % throttle.everyNthCommand !== 0) return false;
    // Exchange Online answers BAD here (imapflow documents the observed reply).
    this.tagged(
      command.tag,
      'BAD',
      `Request is throttled. Suggested Backoff Time: ${throttle.backoffMs} milliseconds`,
    );
    return true;
  }

  /** Ends the command with its tagged reply, first flushing what other sessions changed. */
  complete(command: ParsedCommand, status: 'OK' | 'NO' | 'BAD', text: string): void {
    const holds = COMMANDS.get(command.name)?.holdsExpunges === true;
    this.flush(!holds);
    this.tagged(command.tag, status, text);
  }
}
