/**
 * What the IMAP client records through the session's telemetry (docs/observability.md): command
 * durations, and the TLS handshake and SASL exchange as children of core's `kalisto.mail.connect`.
 */
import type { KalistoSpan, KalistoTelemetry } from '@kalisto/core';

/**
 * The commands whose durations are recorded (`kalisto.mail.command`), by ImapFlow's name for them: the
 * ones an application's work is made of. Connect-time commands (CAPABILITY, AUTHENTICATE, ID…) are
 * part of `kalisto.mail.connect`. `SELECT` covers `mailboxOpen` (also read-only), `FETCH` one
 * `fetch`/`fetchOne`/`fetchAll` call whatever the number of messages, `IDLE` how long the IDLE lasted.
 */
export const TIMED_COMMANDS: ReadonlySet<string> = new Set([
  'SELECT',
  'FETCH',
  'SEARCH',
  'IDLE',
  'STORE',
  'MOVE',
  'COPY',
  'EXPUNGE',
  'APPEND',
  'STATUS',
  'LIST',
]);

/** Runs `command` and records its duration under `protocol` (its error classified by code). */
export async function timeCommand<T>(
  telemetry: KalistoTelemetry,
  protocol: string,
  command: string,
  run: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const result = await run();
    telemetry.mailCommand(protocol, command, seconds());
    return result;
  } catch (error) {
    telemetry.mailCommand(protocol, command, seconds(), error);
    throw error;
  }
}

/**
 * A `kalisto.mail.tls` span over the handshake of an implicit-TLS socket: from its TCP `connect` to
 * `secureConnect` (failed on `error`, ended on `close` if the handshake never finished). Started in
 * the socket's callbacks, which run in the async context of `kalisto.mail.connect`, its parent.
 */
export function traceImplicitTls(
  telemetry: KalistoTelemetry,
  socket: NodeJS.EventEmitter,
  attributes: { 'kalisto.protocol': string; 'server.address': string },
): void {
  let span: KalistoSpan | undefined;
  const finish = () => {
    span?.end();
    socket.off('error', failed);
    socket.off('close', finish);
  };
  const failed = (error: unknown) => {
    span?.fail(error);
    finish();
  };
  socket.once('connect', () => {
    span = telemetry.startSpan('kalisto.mail.tls', attributes);
  });
  socket.once('secureConnect', finish);
  socket.once('error', failed);
  socket.once('close', finish);
}
