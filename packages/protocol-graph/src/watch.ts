/**
 * `mailbox.watch()`: new-message detection through Graph's delta queries, with IMAP watch()'s
 * contract — each new message handed to the handler exactly once, one at a time, across failures
 * and retries, with bounded backoff and an AbortSignal.
 *
 * A delta round pages from the last `@odata.deltaLink` to a new one. Graph does not tell a new
 * message from a changed one (read, flagged), so the watcher remembers the ids of the folder's
 * messages it has seen (the baseline and every one delivered) and delivers only ids it does not
 * know; a failed round is repeated from the last complete one, and what it already delivered is
 * skipped. An expired delta state (410, `SyncStateNotFound`) starts a fresh round, which delivers
 * exactly the messages not yet seen.
 */
import { isKalistoError, KalistoError, type Logger } from '@kalisto/core';
import { abortableSleep, backoffDelay, noopTelemetry } from '@kalisto/core/plugin';
import { DEFAULT_MESSAGE_SELECT, type GraphMailbox, type GraphMessage } from './mailbox.js';

/**
 * Where a watcher is: the delta link of the last complete round (undefined before the first one
 * completed) and the ids delivered since. Persist it (`onCheckpoint`) to resume after a restart.
 */
export interface GraphWatchPosition {
  deltaLink: string | undefined;
  handled: readonly string[];
}

/**
 * Where to begin: `'new'` delivers only messages arriving after the first round (the folder's
 * messages are the baseline), `'all'` every message in the folder, a saved position resumes.
 */
export type GraphWatchStart = 'new' | 'all' | GraphWatchPosition;

/** A delivered message: its listed properties, and its MIME source unless `source: false`. */
export interface GraphWatchMessage extends GraphMessage {
  source?: Buffer;
}

/** Called once per new message, one at a time; the message counts as done when it resolves. */
export type GraphWatchHandler = (
  message: GraphWatchMessage,
  context: { mailbox: GraphMailbox; folder: string },
) => unknown;

/** What `onError` is told besides the error. */
export interface GraphWatchErrorInfo {
  /** True when the watcher gives up: `done` rejects with the same error. */
  fatal: boolean;
  /** Consecutive failed rounds so far. */
  attempt: number;
  /** The wait before the next round, ms (absent when fatal). */
  delayMs?: number;
}

/** Options of {@link watchFolder}. All are optional. */
export interface GraphWatchOptions {
  /** Where to begin. Default `'new'`. */
  start?: GraphWatchStart;
  /** The wait between delta rounds, ms. Default 30000. */
  pollIntervalMs?: number;
  /** Messages per delta page (`Prefer: odata.maxpagesize`). Default 50. */
  pageSize?: number;
  /** Properties asked for each message. Default the mailbox's {@link DEFAULT_MESSAGE_SELECT}. */
  select?: readonly string[];
  /** Fetch each message's MIME source (`$value`) before calling the handler. Default true. */
  source?: boolean;
  /** Waits after a failed round: full jitter, doubling from `initialMs` up to `maxMs`. Default 1 s and 60 s. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Give up after this many consecutive refusals (each already retried once with a fresh token). Default 3. */
  maxAuthFailures?: number;
  /** Stops the watcher, like `stop()`. */
  signal?: AbortSignal;
  /** Default: the session's logger. */
  logger?: Logger;
  /** Told about every failed round (and the fatal one). Default: logged at warn. */
  onError?: (error: unknown, info: GraphWatchErrorInfo) => void;
  /** Called after each handled message and each complete round with the position to persist. */
  onCheckpoint?: (position: GraphWatchPosition) => void | Promise<void>;
}

/** A running watcher. */
export interface GraphWatchHandle {
  /** Lets the running handler finish, stops, and resolves when the watcher has ended. */
  stop(): Promise<void>;
  /** Resolves after `stop()` (or the signal); rejects when the watcher gives up or a handler throws. */
  readonly done: Promise<void>;
  /** The current position; undefined before anything was delivered or a round completed. */
  position(): GraphWatchPosition | undefined;
}

/** By receivedDateTime, oldest first; messages without one keep their place after the dated ones. */
function oldestFirst(messages: GraphMessage[]): GraphMessage[] {
  const time = (m: GraphMessage) => {
    const value = Date.parse(m.receivedDateTime ?? '');
    return Number.isNaN(value) ? Number.POSITIVE_INFINITY : value;
  };
  return messages
    .map((m, index) => ({ m, index, t: time(m) }))
    .sort((a, b) => a.t - b.t || a.index - b.index)
    .map((e) => e.m);
}

const DEFAULTS = {
  pollIntervalMs: 30_000,
  pageSize: 50,
  initialBackoffMs: 1_000,
  maxBackoffMs: 60_000,
  maxAuthFailures: 3,
} as const;

/** A failure of the application's code (handler or checkpoint): never retried. */
class HandlerFailure {
  constructor(readonly cause: unknown) {}
}

/** How the watcher treats a failed round: count it, give up, or wait and try again. */
export type GraphWatchFailureKind = 'refusal' | 'permanent' | 'retry';

/**
 * `refusal`: Graph refused the identity (after the one fresh-token retry), counted against
 * `maxAuthFailures`; `permanent`: no retry can cure it (configuration, TLS trust, a missing folder, a
 * closed client); `retry`: network, throttling, outages.
 */
export function graphWatchFailureKind(error: unknown): GraphWatchFailureKind {
  if (!isKalistoError(error)) return 'retry';
  const transient = (error as { transient?: unknown }).transient === true;
  if (error.name === 'AuthenticationError') return transient ? 'retry' : 'refusal';
  return transient ? 'retry' : 'permanent';
}

/**
 * Watches `folder` of `mailbox` and calls `handler` once for every new message. Polls Graph's delta
 * query every `pollIntervalMs`; retries failed rounds with bounded backoff; gives up after
 * `maxAuthFailures` consecutive refusals, on a failure no retry cures, or when the handler throws.
 *
 * ```ts
 * const watcher = mailbox.watch('inbox', async (message) => save(message.source));
 * process.on('SIGTERM', () => watcher.stop());
 * await watcher.done;
 * ```
 */
export function watchFolder(
  mailbox: GraphMailbox,
  folder: string,
  handler: GraphWatchHandler,
  options: GraphWatchOptions = {},
): GraphWatchHandle {
  return new DeltaWatcher(mailbox, folder, handler, options).start();
}

class DeltaWatcher {
  readonly #mailbox: GraphMailbox;
  readonly #folder: string;
  readonly #handler: GraphWatchHandler;
  readonly #options: GraphWatchOptions;
  readonly #logger: Logger;
  readonly #stopper = new AbortController();
  /** Ids of the folder's messages already seen: the baseline and every one delivered. */
  readonly #known = new Set<string>();
  /** Ids delivered since the last complete round. */
  readonly #handled: string[] = [];
  #deltaLink: string | undefined;
  /** Whether the messages present at the start are still to be taken as the baseline. */
  #baseline: boolean;

  constructor(mailbox: GraphMailbox, folder: string, handler: GraphWatchHandler, options: GraphWatchOptions) {
    this.#mailbox = mailbox;
    this.#folder = folder;
    this.#handler = handler;
    this.#options = options;
    this.#logger = options.logger ?? mailbox.logger;
    const start = options.start ?? 'new';
    this.#baseline = start === 'new';
    if (typeof start === 'object') {
      this.#deltaLink = start.deltaLink;
      for (const id of start.handled) {
        this.#known.add(id);
        this.#handled.push(id);
      }
    }
  }

  start(): GraphWatchHandle {
    const { signal } = this.#options;
    const onAbort = () => this.#stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) this.#stop();
    const done = this.#run().finally(() => signal?.removeEventListener('abort', onAbort));
    done.catch(() => {});
    return {
      stop: async () => {
        this.#stop();
        await done.catch(() => {});
      },
      done,
      position: () =>
        this.#deltaLink === undefined && this.#handled.length === 0
          ? undefined
          : { deltaLink: this.#deltaLink, handled: [...this.#handled] },
    };
  }

  get #stopping(): boolean {
    return this.#stopper.signal.aborted;
  }

  #stop(): void {
    if (!this.#stopping) {
      this.#stopper.abort(new KalistoError('The watcher was stopped.', { code: 'WATCH_STOPPED' }));
    }
  }

  async #run(): Promise<void> {
    const initialMs = this.#options.backoff?.initialMs ?? DEFAULTS.initialBackoffMs;
    const maxMs = this.#options.backoff?.maxMs ?? DEFAULTS.maxBackoffMs;
    const maxAuthFailures = Math.max(1, this.#options.maxAuthFailures ?? DEFAULTS.maxAuthFailures);
    const pollMs = this.#options.pollIntervalMs ?? DEFAULTS.pollIntervalMs;
    let folderId: string | undefined;
    let attempt = 0;
    let authFailures = 0;
    while (!this.#stopping) {
      let failure: unknown;
      try {
        const round = async () => {
          folderId ??= await this.#mailbox.folderId(this.#folder, { signal: this.#stopper.signal });
          await this.#round(folderId);
        };
        await (attempt === 0 ? this.#counted(round) : this.#reconnect(round));
        attempt = 0;
        authFailures = 0;
      } catch (error) {
        if (this.#stopping) break;
        if (error instanceof HandlerFailure) throw this.#fatal(error.cause, attempt);
        // A fresh round that is refused the same way is an ordinary failure (backed off), not a loop.
        if (isKalistoError(error) && error.code === 'GRAPH_SYNC_RESET' && this.#deltaLink !== undefined) {
          this.#restartDelta();
          continue;
        }
        failure = error;
      }
      if (failure !== undefined) {
        const kind = graphWatchFailureKind(failure);
        if (kind === 'refusal') authFailures++;
        if (kind === 'permanent' || authFailures >= maxAuthFailures) throw this.#fatal(failure, attempt);
      }
      const delayMs =
        failure === undefined
          ? pollMs
          : backoffDelay(attempt, { retries: 0, baseMs: initialMs, maxMs }, Math.random, failure);
      if (failure !== undefined) {
        attempt++;
        this.#report(failure, { fatal: false, attempt, delayMs });
      }
      try {
        await abortableSleep(delayMs, this.#stopper.signal);
      } catch {
        break;
      }
    }
  }

  /** The session's recorder; the no-op one for a mailbox built by hand (unit tests). */
  get #telemetry() {
    return this.#mailbox.client.telemetry ?? noopTelemetry;
  }

  /**
   * A delta round counted as one watch renewal (`kalisto.mail.watch.renewals`), failed when it failed
   * for any reason but the application's handler.
   */
  async #counted(round: () => Promise<void>): Promise<void> {
    const telemetry = this.#telemetry;
    try {
      await round();
    } catch (error) {
      if (!(error instanceof HandlerFailure) && !this.#stopping) telemetry.watchRenewal('graph', error);
      throw error;
    }
    telemetry.watchRenewal('graph');
  }

  /**
   * The first round after a failed one: the watch reconnecting (`kalisto.mail.reconnects`, reason
   * `watch`), traced as `kalisto.mail.watch.reconnect` (failed when the round fails again).
   */
  #reconnect(round: () => Promise<void>): Promise<void> {
    const telemetry = this.#telemetry;
    if (!telemetry.enabled) return round();
    telemetry.mailReconnect('graph', 'watch');
    return telemetry.withSpan('kalisto.mail.watch.reconnect', { 'kalisto.protocol': 'graph' }, () =>
      this.#counted(round),
    );
  }

  /** The delta state expired: the next round enumerates the folder again and delivers what is new. */
  #restartDelta(): void {
    this.#logger.info({ folder: this.#folder }, 'Graph watch: the delta state expired; starting a new round');
    this.#deltaLink = undefined;
    // Resumed from a saved position with nothing seen in this process: nothing tells old from new.
    if (this.#known.size === this.#handled.length) this.#baseline = true;
  }

  /**
   * One delta round: pages from the last delta link to a new one, then delivers the messages it
   * does not know, oldest first (by receivedDateTime; Graph pages in no promised order).
   */
  async #round(folderId: string): Promise<void> {
    const pageSize = Math.max(1, Math.trunc(this.#options.pageSize ?? DEFAULTS.pageSize));
    const select = (this.#options.select ?? DEFAULT_MESSAGE_SELECT).join(',');
    const client = this.#mailbox.client;
    let url: string | undefined =
      this.#deltaLink ??
      client.mailboxPath(`/mailFolders/${encodeURIComponent(folderId)}/messages/delta?$select=${select}`);
    const fresh = new Map<string, GraphMessage>();
    const removed = new Set<string>();
    let deltaLink: string | undefined;
    while (url !== undefined) {
      const page: {
        value: (GraphMessage & { '@removed'?: unknown })[];
        nextLink?: string;
        deltaLink?: string;
      } = await client.page({
        method: 'GET',
        url,
        operation: 'read',
        name: 'delta',
        headers: { prefer: `odata.maxpagesize=${pageSize}` },
        signal: this.#stopper.signal,
      });
      for (const item of page.value) {
        if (typeof item?.id !== 'string') continue;
        if (item['@removed'] !== undefined) {
          removed.add(item.id);
          fresh.delete(item.id);
        } else if (!this.#known.has(item.id)) {
          removed.delete(item.id);
          fresh.set(item.id, item);
        }
      }
      url = page.nextLink;
      deltaLink = page.deltaLink;
    }
    for (const id of removed) this.#known.delete(id);
    if (this.#baseline) {
      for (const id of fresh.keys()) this.#known.add(id);
    } else {
      for (const message of oldestFirst([...fresh.values()])) {
        if (this.#stopping) return;
        await this.#deliver(message);
      }
    }
    if (this.#stopping || deltaLink === undefined) return;
    this.#deltaLink = deltaLink;
    this.#baseline = false;
    this.#handled.length = 0;
    await this.#checkpoint();
  }

  async #deliver(item: GraphMessage): Promise<void> {
    let message: GraphWatchMessage = item;
    if (this.#options.source ?? true) {
      try {
        message = { ...item, source: await this.#mailbox.source(item.id, { signal: this.#stopper.signal }) };
      } catch (error) {
        // Gone between the delta page and the fetch: there is nothing left to deliver.
        if (isKalistoError(error) && error.code === 'GRAPH_NOT_FOUND') {
          this.#known.add(item.id);
          return;
        }
        throw error;
      }
    }
    try {
      await this.#handler(message, { mailbox: this.#mailbox, folder: this.#folder });
    } catch (error) {
      throw new HandlerFailure(error);
    }
    this.#known.add(item.id);
    this.#handled.push(item.id);
    await this.#checkpoint();
  }

  async #checkpoint(): Promise<void> {
    if (this.#options.onCheckpoint === undefined) return;
    try {
      await this.#options.onCheckpoint({ deltaLink: this.#deltaLink, handled: [...this.#handled] });
    } catch (error) {
      // The position could not be saved: going on would make a restart deliver twice.
      throw new HandlerFailure(error);
    }
  }

  #fatal(error: unknown, attempt: number): unknown {
    this.#report(error, { fatal: true, attempt });
    return error;
  }

  #report(error: unknown, info: GraphWatchErrorInfo): void {
    if (this.#options.onError) {
      try {
        this.#options.onError(error, info);
      } catch (callbackError) {
        this.#logger.warn({ err: callbackError }, 'Graph watch: the onError callback threw');
      }
      return;
    }
    const level = info.fatal ? 'error' : 'warn';
    this.#logger[level]({ err: error, folder: this.#folder, ...info }, 'Graph watch: a delta round failed');
  }
}
