/**
 * `watch()`: a long-running IDLE loop over one folder that hands every new message to a handler
 * exactly once, across token expiry, revocation, server BYEs and network loss. It reconnects with a
 * new ImapFlow (an instance cannot connect twice) and a fresh token, and resumes after the last UID
 * the handler finished.
 */
import {
  ConfigError,
  ConnectionError,
  isKalistoError,
  KalistoError,
  type KalistoSession,
  type Logger,
} from '@kalisto/core';
import { abortableSleep, backoffDelay, isTransientError, telemetryOf } from '@kalisto/core/plugin';
import type { FetchMessageObject, FetchQueryObject, ImapFlow } from 'imapflow';
import { logoutOrClose, tokenExpiryOf } from './client.js';

/** Where a watcher is: the folder's UIDVALIDITY and the last UID the handler finished. */
export interface WatchPosition {
  uidValidity: bigint;
  /** Messages with a greater UID are still to be delivered. */
  uid: number;
}

/**
 * Where to begin: `'new'` delivers only messages arriving after the first connection, `'all'` every
 * message in the folder, a position resumes after its UID (a saved {@link WatchPosition}; when its
 * `uidValidity` no longer matches, the folder was rebuilt and the watcher starts from `'new'`).
 */
export type WatchStart = 'new' | 'all' | { uid: number; uidValidity?: bigint };

/** What the handler gets besides the message. */
export interface WatchMessageContext {
  /** The current connection (with the folder open): for flags, moves, downloads of big parts. */
  client: ImapFlow;
  folder: string;
}

/** Called once per message, one at a time, in UID order; the UID counts as done when it resolves. */
export type WatchHandler = (message: FetchMessageObject, context: WatchMessageContext) => unknown;

/** What `onError` is told besides the error. */
export interface WatchErrorInfo {
  /** True when the watcher gives up: `done` rejects with the same error. */
  fatal: boolean;
  /** Consecutive failed connection attempts so far. */
  attempt: number;
  /** The wait before the next attempt, ms (absent when fatal). */
  delayMs?: number;
}

/** Options of {@link watch}. All are optional. */
export interface WatchOptions {
  /** The store protocol to open (`imap`, `imaps`). Default: `mail.store.protocol`. */
  protocol?: string;
  /** Where to begin. Default `'new'`. */
  start?: WatchStart;
  /** What to fetch for each message (`uid` is always added). Default {@link DEFAULT_WATCH_QUERY}. */
  query?: FetchQueryObject;
  /** Messages fetched per FETCH command when catching up. Default 50. */
  batchSize?: number;
  /** Reconnection waits: full jitter, doubling from `initialMs` up to `maxMs`. Default 1 s and 60 s. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Give up after this many consecutive refused logins (each already retried once with a fresh token). Default 3. */
  maxAuthFailures?: number;
  /**
   * Reconnect this long before the connection's token expires instead of waiting for Exchange's
   * `BYE … AccessTokenExpired` (never earlier than half-way through the token's life); `false`
   * waits for the BYE. Default 60000.
   */
  renewBeforeExpiryMs?: number | false;
  /**
   * Break and re-issue IDLE this often, ms, checking the folder meanwhile: keeps NATs and the
   * server's 30-minute IDLE limit happy and notices a revoked token. Default 600000 (10 min).
   */
  checkIntervalMs?: number;
  /** Stops the watcher, like `stop()`. */
  signal?: AbortSignal;
  /** Default: the session's logger. */
  logger?: Logger;
  /** Told about every failed connection (and the fatal one). Default: logged at warn. */
  onError?: (error: unknown, info: WatchErrorInfo) => void;
  /** Called after each handled message with the new position (persist it to resume after a restart). */
  onCheckpoint?: (position: WatchPosition) => void | Promise<void>;
  /** Called when the folder's UIDVALIDITY changed: the watcher restarts from the folder's end. */
  onUidValidityChange?: (change: { previous: bigint; current: bigint }) => void;
}

/** A running watcher. */
export interface WatchHandle {
  /** Finishes the message being handled, logs out and resolves when everything is closed. */
  stop(): Promise<void>;
  /** Resolves after `stop()` (or the signal); rejects when the watcher gives up or a handler throws. */
  readonly done: Promise<void>;
  /** The current position; undefined before the first connection. */
  position(): WatchPosition | undefined;
}

/** The default fetch query: enough to route a message, and its exact source. */
export const DEFAULT_WATCH_QUERY: Readonly<FetchQueryObject> = {
  uid: true,
  flags: true,
  envelope: true,
  internalDate: true,
  size: true,
  source: true,
};

const DEFAULTS = {
  batchSize: 50,
  initialBackoffMs: 1_000,
  maxBackoffMs: 60_000,
  maxAuthFailures: 3,
  renewBeforeExpiryMs: 60_000,
  checkIntervalMs: 600_000,
} as const;

/**
 * A failure of the application's code (handler or checkpoint), carried out of the connection loop
 * without being mistaken for a network one.
 */
class HandlerFailure {
  constructor(
    readonly cause: unknown,
    /** From `onCheckpoint`: the message was handled, so it is never run again. */
    readonly checkpoint = false,
  ) {}
}

/**
 * Watches `folder` and calls `handler` once for every new message, in UID order, one at a time.
 * Reconnects by itself (fresh token, bounded exponential backoff with jitter); gives up after
 * `maxAuthFailures` consecutive refused logins or when the handler throws (`done` rejects).
 *
 * ```ts
 * const watcher = watch(session, 'INBOX', async (message) => save(message.source));
 * process.on('SIGTERM', () => watcher.stop());
 * await watcher.done;
 * ```
 */
export function watch(
  session: KalistoSession,
  folder: string,
  handler: WatchHandler,
  options: WatchOptions = {},
): WatchHandle {
  const watcher = new MailboxWatcher(session, folder, handler, options);
  return watcher.start();
}

type WakeReason = 'exists' | 'check' | 'renew' | 'close' | 'stop';

/** When several events come at once, the one that ends the connection wins. */
const PRIORITY: Readonly<Record<WakeReason, number>> = { exists: 0, check: 1, renew: 2, close: 3, stop: 4 };

class MailboxWatcher {
  readonly #session: KalistoSession;
  readonly #folder: string;
  readonly #handler: WatchHandler;
  readonly #options: WatchOptions;
  readonly #logger: Logger;
  readonly #query: FetchQueryObject;
  readonly #stopper = new AbortController();
  #position: WatchPosition | undefined;
  readonly #start: WatchStart;
  #pending = false;
  #wake: (() => void) | undefined;
  #event: WakeReason | undefined;

  constructor(session: KalistoSession, folder: string, handler: WatchHandler, options: WatchOptions) {
    this.#session = session;
    this.#folder = folder;
    this.#handler = handler;
    this.#options = options;
    this.#logger = options.logger ?? session.logger;
    this.#query = { ...(options.query ?? DEFAULT_WATCH_QUERY), uid: true };
    this.#start = options.start ?? 'new';
  }

  start(): WatchHandle {
    const { signal } = this.#options;
    const onAbort = () => this.#stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) this.#stop();
    const done = this.#run().finally(() => signal?.removeEventListener('abort', onAbort));
    // `done` may be ignored by an application that uses onError; a fatal error is reported there too.
    done.catch(() => {});
    return {
      stop: async () => {
        this.#stop();
        await done.catch(() => {});
      },
      done,
      position: () => (this.#position === undefined ? undefined : { ...this.#position }),
    };
  }

  get #stopping(): boolean {
    return this.#stopper.signal.aborted;
  }

  #stop(): void {
    if (this.#stopping) return;
    this.#stopper.abort(new KalistoError('The watcher was stopped.', { code: 'WATCH_STOPPED' }));
    this.#signal('stop');
  }

  #signal(reason: WakeReason): void {
    if (reason === 'exists') this.#pending = true;
    if (this.#event === undefined || PRIORITY[reason] > PRIORITY[this.#event]) this.#event = reason;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** The most important event since the last call, waiting for one if none came. */
  async #nextEvent(): Promise<WakeReason> {
    if (this.#event === undefined) await new Promise<void>((resolve) => (this.#wake = resolve));
    const event = this.#event as WakeReason;
    this.#event = undefined;
    return event;
  }

  async #run(): Promise<void> {
    const initialMs = this.#options.backoff?.initialMs ?? DEFAULTS.initialBackoffMs;
    const maxMs = this.#options.backoff?.maxMs ?? DEFAULTS.maxBackoffMs;
    const maxAuthFailures = Math.max(1, this.#options.maxAuthFailures ?? DEFAULTS.maxAuthFailures);
    let attempt = 0;
    let authFailures = 0;
    let reconnect = false;
    while (!this.#stopping) {
      let failure: unknown;
      try {
        await this.#connection(reconnect, () => {
          attempt = 0;
          authFailures = 0;
        });
      } catch (error) {
        if (error instanceof HandlerFailure) throw this.#fatal(error.cause, attempt);
        failure = error;
      }
      reconnect = true;
      if (this.#stopping) break;
      if (failure !== undefined) {
        const kind = watchFailureKind(failure);
        if (kind === 'refusal') authFailures++;
        if (kind === 'permanent' || authFailures >= maxAuthFailures) throw this.#fatal(failure, attempt);
      }
      const delayMs = backoffDelay(attempt, { retries: 0, baseMs: initialMs, maxMs }, Math.random, failure);
      attempt++;
      if (failure !== undefined) this.#report(failure, { fatal: false, attempt, delayMs });
      try {
        await abortableSleep(delayMs, this.#stopper.signal);
      } catch {
        break;
      }
    }
  }

  #fatal(error: unknown, attempt: number): unknown {
    this.#report(error, { fatal: true, attempt });
    return error;
  }

  #report(error: unknown, info: WatchErrorInfo): void {
    if (this.#options.onError) {
      try {
        this.#options.onError(error, info);
      } catch (callbackError) {
        this.#logger.warn({ err: callbackError }, 'IMAP watch: the onError callback threw');
      }
      return;
    }
    const level = info.fatal ? 'error' : 'warn';
    this.#logger[level]({ err: error, folder: this.#folder, ...info }, 'IMAP watch: connection failed');
  }

  /**
   * One connection: open, catch up, IDLE until the server closes, the token nears expiry or the
   * watcher stops. `onHealthy` runs once the folder is open and caught up. Resolves when the
   * connection ended for a reason that calls for a reconnect; throws when it never got going.
   */
  async #connection(reconnect: boolean, onHealthy: () => void): Promise<void> {
    const client = await this.#open(reconnect);
    this.#event = undefined;
    this.#pending = false;
    const onExists = () => this.#signal('exists');
    const onClose = () => this.#signal('close');
    client.on('exists', onExists);
    client.on('close', onClose);
    const timers: NodeJS.Timeout[] = [];
    let renewing = false;
    const every = (ms: number, reason: WakeReason) => {
      const timer = setInterval(() => this.#signal(reason), ms);
      timer.unref();
      timers.push(timer);
    };
    try {
      const mailbox = await client.mailboxOpen(this.#folder).catch((error: unknown) => {
        throw (error as { mailboxMissing?: unknown }).mailboxMissing === true
          ? folderMissingError(this.#folder, error)
          : error;
      });
      this.#baseline(mailbox.uidValidity, mailbox.uidNext);
      const renewIn = this.#renewDelay(client);
      if (renewIn !== undefined) {
        const timer = setTimeout(() => this.#signal('renew'), renewIn);
        timer.unref();
        timers.push(timer);
      }
      every(this.#options.checkIntervalMs ?? DEFAULTS.checkIntervalMs, 'check');
      await this.#catchUp(client);
      onHealthy();
      for (;;) {
        if (this.#stopping || !client.usable) break;
        if (!this.#pending) {
          // IDLE until the next command; the catch-up's SEARCH ends it. Its result is not needed.
          client.idle().catch(() => {});
          const reason = await this.#nextEvent();
          if (reason === 'stop' || reason === 'close') break;
          // The periodic check breaks IDLE; the catch-up below and the next idle() renew it.
          if (reason === 'check') this.#telemetry.watchRenewal(this.#protocol);
          if (reason === 'renew') {
            this.#logger.info(
              { folder: this.#folder },
              'IMAP watch: renewing the connection before the token expires',
            );
            renewing = true;
            break;
          }
        }
        this.#pending = false;
        await this.#catchUp(client);
      }
    } catch (error) {
      if (this.#stopping) throw error;
      if (error instanceof HandlerFailure) {
        // The handler used the connection as it went away: run it again for this message afterwards.
        if (error.checkpoint || !imapConnectionGone(client, error.cause) || incurable(error.cause))
          throw error;
      } else if (!connectionLost(client, error)) {
        // A command failed because the connection went away: reconnect like after a BYE.
        throw error;
      }
      this.#logger.info({ folder: this.#folder, reason: client.byeReason }, 'IMAP watch: connection lost');
    } finally {
      for (const timer of timers) clearTimeout(timer);
      client.off('exists', onExists);
      client.off('close', onClose);
      await logoutOrClose(client);
    }
    if (renewing) await this.#forgetToken(tokenExpiryOf(client));
    if (client.byeReason !== undefined && /AccessTokenExpired/i.test(client.byeReason)) {
      this.#logger.info(
        { folder: this.#folder },
        'IMAP watch: the token expired; reconnecting with a fresh one',
      );
    }
  }

  get #telemetry() {
    return telemetryOf({ session: this.#session });
  }

  /** The store protocol watched (for telemetry). */
  get #protocol(): string {
    return this.#options.protocol ?? this.#session.config.storeProtocol;
  }

  /**
   * Opens the store client; a reconnect (every connection after the first) is counted
   * (`kalisto.mail.reconnects`, reason `watch`) and traced as `kalisto.mail.watch.reconnect`, the
   * parent of core's `kalisto.mail.connect`.
   */
  async #open(reconnect: boolean): Promise<ImapFlow> {
    const protocol = this.#options.protocol;
    const open = async () =>
      asImapFlow(await this.#session.store(protocol, { signal: this.#stopper.signal }), protocol);
    const telemetry = this.#telemetry;
    if (!reconnect || !telemetry.enabled) return open();
    telemetry.mailReconnect(this.#protocol, 'watch');
    return telemetry.withSpan('kalisto.mail.watch.reconnect', { 'kalisto.protocol': this.#protocol }, open);
  }

  /**
   * Makes sure the next connection gets a newer token than the one expiring at `expiresAt`: the token
   * manager normally has one by now (its refresh skew is longer than the renewal margin); when it
   * would still hand out the old one, it is forgotten so that a fresh one is requested.
   */
  async #forgetToken(expiresAt: number | undefined): Promise<void> {
    if (expiresAt === undefined) return;
    const current = await this.#session.tokens.getToken({ signal: this.#stopper.signal });
    if (current.expiresAt <= expiresAt) await this.#session.tokens.invalidate();
  }

  /** Sets or checks the position against the folder's UIDVALIDITY and UIDNEXT. */
  #baseline(uidValidity: bigint, uidNext: number): void {
    const start = this.#start;
    if (this.#position === undefined) {
      const saved = typeof start === 'object' ? start : undefined;
      if (saved !== undefined && (saved.uidValidity === undefined || saved.uidValidity === uidValidity)) {
        this.#position = { uidValidity, uid: saved.uid };
      } else {
        if (saved?.uidValidity !== undefined) this.#uidValidityChanged(saved.uidValidity, uidValidity);
        this.#position = { uidValidity, uid: start === 'all' ? 0 : uidNext - 1 };
      }
      return;
    }
    if (this.#position.uidValidity !== uidValidity) {
      this.#uidValidityChanged(this.#position.uidValidity, uidValidity);
      this.#position = { uidValidity, uid: uidNext - 1 };
    }
  }

  #uidValidityChanged(previous: bigint, current: bigint): void {
    this.#logger.warn(
      { folder: this.#folder, previous: String(previous), current: String(current) },
      'IMAP watch: UIDVALIDITY changed; UIDs were reassigned, continuing with new messages only',
    );
    this.#options.onUidValidityChange?.({ previous, current });
  }

  /** ms until this connection should be renewed; undefined when its token's expiry is unknown or renewal is off. */
  #renewDelay(client: ImapFlow): number | undefined {
    const expiresAt = tokenExpiryOf(client);
    if (expiresAt === undefined) return undefined;
    const margin = this.#options.renewBeforeExpiryMs ?? DEFAULTS.renewBeforeExpiryMs;
    return renewalDelay(expiresAt, Date.now(), margin);
  }

  /** Delivers every message after the position, in UID order, in batches. */
  async #catchUp(client: ImapFlow): Promise<void> {
    const position = this.#position as WatchPosition;
    // `N:*` also matches the highest UID when it is below N (RFC 3501), hence the filter.
    const found = await client.search({ uid: `${position.uid + 1}:*` }, { uid: true });
    const uids = (found || []).filter((uid) => uid > position.uid).sort((a, b) => a - b);
    const batchSize = Math.max(1, this.#options.batchSize ?? DEFAULTS.batchSize);
    for (let i = 0; i < uids.length; i += batchSize) {
      const batch = uids.slice(i, i + batchSize);
      const messages = await client.fetchAll(batch.join(','), this.#query, { uid: true });
      messages.sort((a, b) => a.uid - b.uid);
      for (const message of messages) {
        if (message.uid <= position.uid) continue;
        try {
          await this.#handler(message, { client, folder: this.#folder });
        } catch (error) {
          throw new HandlerFailure(error);
        }
        position.uid = message.uid;
        try {
          await this.#options.onCheckpoint?.({ ...position });
        } catch (error) {
          // The position could not be saved: going on would make a restart deliver twice.
          throw new HandlerFailure(error, true);
        }
        if (this.#stopping) return;
      }
    }
  }
}

// ImapFlow's codes for a command that failed because the connection is gone.
const CONNECTION_LOST = new Set(['NoConnection', 'EConnectionClosed', 'StateLogout', 'ETIMEOUT']);

/**
 * The connection is gone (a command can fail with `NoConnection` a moment before ImapFlow marks the
 * client unusable), as opposed to a command the server refused on a live connection.
 */
function connectionLost(client: ImapFlow, error: unknown): boolean {
  if (incurable(error)) return false;
  return imapConnectionGone(client, error) || isTransientError(error);
}

/**
 * A Kalisto error that ended the connection and would end the next one too: a server response over
 * `mail.<p>.maxResponseBytes` (IMAP_RESPONSE_TOO_LARGE). Reconnecting would only read it again.
 */
function incurable(error: unknown): boolean {
  return isKalistoError(error) && watchFailureKind(error) === 'permanent';
}

/** Only ImapFlow's own verdict: the client is unusable, or the error is its "no connection". */
function imapConnectionGone(client: ImapFlow, error: unknown): boolean {
  if (!client.usable) return true;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && CONNECTION_LOST.has(code);
}

/** How the watcher treats a failed connection: count it, give up, or wait and try again. */
export type WatchFailureKind = 'refusal' | 'permanent' | 'retry';

/**
 * `refusal`: the server refused the login (the provider already retried once with a fresh token),
 * counted against `maxAuthFailures`; `permanent`: no reconnect can cure it (configuration, TLS trust,
 * a closed session, a token the identity platform refuses); `retry`: network, throttling, expiry.
 */
export function watchFailureKind(error: unknown): WatchFailureKind {
  if (!isKalistoError(error)) return 'retry';
  const transient = (error as { transient?: unknown }).transient === true;
  if (error.name === 'AuthenticationError') return transient ? 'retry' : 'refusal';
  return transient ? 'retry' : 'permanent';
}

/**
 * ms from `now` until a connection whose token expires at `expiresAt` should be renewed: `marginMs`
 * before expiry, but never before half of the remaining time (short-lived tokens would otherwise
 * reconnect in a loop); undefined when renewal is off (`false`).
 */
export function renewalDelay(expiresAt: number, now: number, marginMs: number | false): number | undefined {
  if (marginMs === false) return undefined;
  const remaining = expiresAt - now;
  return Math.max(0, remaining - Math.min(marginMs, remaining / 2));
}

/** The watched folder does not exist: reconnecting will not create it. */
function folderMissingError(folder: string, cause: unknown): ConnectionError {
  const hint = 'Check the folder name (client.list() shows them; Exchange calls the inbox INBOX).';
  return new ConnectionError(`[imap] Cannot watch ${JSON.stringify(folder)}: no such folder. ${hint}`, {
    code: 'IMAP_FOLDER_NOT_FOUND',
    transient: false,
    hint,
    cause,
  });
}

/** The store client, when it is an IMAP one; a POP3 store cannot be watched. */
function asImapFlow(client: unknown, protocol: string | undefined): ImapFlow {
  const candidate = client as Partial<ImapFlow> | undefined;
  if (typeof candidate?.idle === 'function' && typeof candidate.mailboxOpen === 'function') {
    return client as ImapFlow;
  }
  throw new ConfigError([
    {
      property:
        protocol === undefined
          ? 'mail.store.protocol'
          : `watch(…, { protocol: ${JSON.stringify(protocol)} })`,
      expected: 'an IMAP protocol (imap or imaps) provided by @kalisto/protocol-imap',
    },
  ]);
}
