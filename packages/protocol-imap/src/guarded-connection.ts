/**
 * Puts a {@link ResponseGuard} in front of ImapFlow's parser. ImapFlow 2 feeds every byte it reads —
 * from the plain socket, the TLS socket after STARTTLS, the inflater after COMPRESS — to one stream,
 * `client.streamer` (its ImapStream), through `write()`; wrapping that one method sees them all, in
 * order, before ImapFlow buffers any. A crossed bound destroys the stream with a Kalisto error, which
 * ImapFlow reports and closes the connection on, exactly as for its own parser limits.
 */
import type { Writable } from 'node:stream';
import type { ImapFlow } from 'imapflow';
import {
  connectionClosedError,
  type ImapEndpoint,
  type ResponseTooLargeError,
  responseTooLargeError,
} from './errors.js';
import { ResponseGuard, type ResponseLimits } from './response-guard.js';

/** Where ImapFlow rejects a command that was in flight when the connection went away. */
const IN_FLIGHT = new Set([
  'pendingRequest',
  'connect',
  'upgrade',
  'tlsUpgrade',
  'idleWait',
  'mailboxLock',
  'throttleAbort',
  'fetchStream',
  'download',
]);

/** The guard of one connection, as the client class uses it. */
export interface GuardedConnection {
  /** Login succeeded: switch from the pre-login budget to the per-response bounds. */
  authenticated(): void;
  /**
   * The error a command should fail with, given the one ImapFlow made (`error`, stamped `meta`): the
   * bound that was crossed, or the server's close without a BYE, for a command in flight; else `error`
   * (a timeout, `close()`, a BYE: ImapFlow's error already says what happened).
   */
  explain(
    error: Error,
    meta: { rejectedFrom?: string; command?: string } | undefined,
    state: { serverClosed: boolean; byeReason: string | undefined; closedByClient: boolean },
  ): Error;
}

/**
 * Wraps `client.streamer.write` with a guard of `limits`. Throws when this ImapFlow has no such
 * stream: an imapflow upgrade that moved it must not leave the client unbounded.
 */
export function bindResponseGuard(
  client: ImapFlow,
  endpoint: ImapEndpoint,
  limits: ResponseLimits,
): GuardedConnection {
  const streamer = (client as unknown as { streamer?: Writable }).streamer;
  if (typeof streamer?.write !== 'function' || typeof streamer.destroy !== 'function') {
    throw new Error(
      'imapflow no longer exposes its parser stream (client.streamer); @kalisto/protocol-imap cannot bound responses with this imapflow version.',
    );
  }
  const guard = new ResponseGuard(limits);
  let failure: ResponseTooLargeError | undefined;
  const write = streamer.write;
  streamer.write = function guardedWrite(this: Writable, chunk: unknown, ...rest: unknown[]): boolean {
    // After a crossed bound nothing more is parsed; false keeps the socket paused until it is closed.
    if (failure !== undefined) return false;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : (chunk as Buffer);
    const exceeded = guard.accept(bytes);
    if (exceeded !== undefined) {
      failure = responseTooLargeError(endpoint, exceeded);
      streamer.destroy(failure);
      return false;
    }
    return (write as (...args: unknown[]) => boolean).call(streamer, chunk, ...rest);
  } as Writable['write'];

  return {
    authenticated: () => guard.authenticated(),
    explain(error, meta, state) {
      if (!IN_FLIGHT.has(meta?.rejectedFrom ?? '')) return error;
      if (failure !== undefined) return failure;
      if (!state.serverClosed || state.byeReason || state.closedByClient || meta?.command === 'LOGOUT') {
        return error;
      }
      return connectionClosedError(
        endpoint,
        { ...(meta?.command === undefined ? {} : { command: meta.command }), midResponse: guard.midResponse },
        error,
      );
    },
  };
}
