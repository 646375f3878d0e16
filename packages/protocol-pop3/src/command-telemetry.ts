/**
 * What the client records through `context.telemetry` (docs/observability.md): command durations,
 * the TLS handshake's and the SASL exchange's spans. With telemetry off (`enabled` false) every
 * helper returns before building attributes, timers or closures.
 */
import type { KalistoSpan, KalistoTelemetry } from '@kalisto/core';
import type { Pop3Endpoint } from './errors.js';
import type { HeldReply } from './multi-line-reader.js';

/** The commands timed in `kalisto.mail.command.duration`. */
export type Pop3TimedCommand = 'RETR' | 'STAT' | 'LIST' | 'UIDL' | 'DELE' | 'TOP';

/** Ends a command's timing: `error` when it failed (`-ERR`, or the connection). */
export type CommandDone = (error?: unknown) => void;

/** Times one batch of pipelined RETRs: written now, complete when `settled` resolves. */
export type BatchTimer = (batch: readonly HeldReply[], settled: Promise<void>) => void;

const secondsSince = (started: number) => (performance.now() - started) / 1000;

/** Starts timing `command`; undefined (nothing to call) when telemetry is off. */
export function startCommand(
  telemetry: KalistoTelemetry,
  endpoint: Pop3Endpoint,
  command: Pop3TimedCommand,
): CommandDone | undefined {
  if (!telemetry.enabled) return undefined;
  const started = performance.now();
  return (error) => telemetry.mailCommand(endpoint.protocol, command, secondsSince(started), error);
}

/** `result`, timed as `command` from now until it settles. */
export function timed<T>(
  telemetry: KalistoTelemetry,
  endpoint: Pop3Endpoint,
  command: Pop3TimedCommand,
  result: Promise<T>,
): Promise<T> {
  const done = startCommand(telemetry, endpoint, command);
  if (done === undefined) return result;
  return result.then(
    (value) => {
      done();
      return value;
    },
    (error: unknown) => {
      done(error);
      throw error;
    },
  );
}

/**
 * One `RETR` point per pipelined batch, from its write to its last reply — the replies of a batch
 * overlap on the wire, so a per-message duration would be made up. A batch fails when any of its
 * replies did. Without PIPELINING a batch is one RETR. Undefined when telemetry is off.
 */
export function batchTimer(telemetry: KalistoTelemetry, endpoint: Pop3Endpoint): BatchTimer | undefined {
  if (!telemetry.enabled) return undefined;
  return (batch, settled) => {
    const started = performance.now();
    void settled.then(() => {
      const failed = batch.find((reply) => reply.failure() !== undefined);
      telemetry.mailCommand(endpoint.protocol, 'RETR', secondsSince(started), failed?.failure());
    });
  };
}

/** A `kalisto.mail.tls` span started now (the TCP connection is up); undefined when telemetry is off. */
export function startTlsSpan(telemetry: KalistoTelemetry, endpoint: Pop3Endpoint): KalistoSpan | undefined {
  if (!telemetry.enabled) return undefined;
  return telemetry.startSpan('kalisto.mail.tls', {
    'kalisto.protocol': endpoint.protocol,
    'server.address': endpoint.host,
  });
}

/** Ends `span` with the handshake's outcome. */
export async function spanning(span: KalistoSpan | undefined, handshake: Promise<void>): Promise<void> {
  try {
    await handshake;
  } catch (error) {
    span?.fail(error);
    throw error;
  } finally {
    span?.end();
  }
}

/** `login` in a `kalisto.mail.sasl` span (failed with the refusal's code), or just `login` when off. */
export function saslSpan(
  telemetry: KalistoTelemetry,
  endpoint: Pop3Endpoint,
  mechanism: string,
  login: () => Promise<void>,
): Promise<void> {
  if (!telemetry.enabled) return login();
  const attributes = { 'kalisto.protocol': endpoint.protocol, 'kalisto.sasl.mechanism': mechanism };
  return telemetry.withSpan('kalisto.mail.sasl', attributes, login);
}
