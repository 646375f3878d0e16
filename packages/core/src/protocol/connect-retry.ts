/**
 * A bounded, jittered retry of connects that a server reset before its greeting — what a server
 * at a process or connection limit does. Only the connect is repeated; the protocol decides what
 * "before the greeting" means, so that nothing after a login is ever sent twice.
 */
import type { Logger } from '../logging/logger.js';
import type { KalistoTelemetry } from '../telemetry/kalisto-telemetry.js';
import { abortableSleep, backoffDelay } from '../token/retry.js';

const RESET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** Retries after the first attempt, and their backoff ("full jitter", ms). */
export const CONNECT_RESET_RETRY = { retries: 3, baseMs: 100, maxMs: 1000 } as const;

/** Whether the error (or a cause) is a connection reset by the peer. */
export function isConnectionReset(error: unknown): boolean {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 6; depth += 1) {
    const { code } = e as { code?: unknown };
    if (typeof code === 'string' && RESET_CODES.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Options of {@link retryConnectReset}. */
export interface RetryConnectResetOptions {
  /** True when the failed attempt was reset before the server's greeting (nothing was sent). */
  resetBeforeGreeting: (error: unknown) => boolean;
  logger: Logger;
  signal?: AbortSignal | undefined;
  /** Uniform [0, 1); tests pass their own. */
  random?: () => number;
  /** Counts each repeated connect (`kalisto.mail.reconnects`, reason `reset`): pass `context.telemetry`. */
  telemetry?: KalistoTelemetry | undefined;
  /** The protocol counted with it (`context.settings.protocol`). */
  protocol?: string | undefined;
}

/**
 * Runs `connect`; when it fails with a reset before the greeting, waits a jittered backoff and runs
 * it again, at most {@link CONNECT_RESET_RETRY}`.retries` more times. Any other failure, and the last
 * reset, reach the caller. `connect` must close whatever it opened before throwing.
 */
export async function retryConnectReset<T>(
  connect: () => Promise<T>,
  options: RetryConnectResetOptions,
): Promise<T> {
  const { retries, baseMs, maxMs } = CONNECT_RESET_RETRY;
  const random = options.random ?? Math.random;
  for (let retry = 0; ; retry += 1) {
    try {
      return await connect();
    } catch (error) {
      if (retry >= retries || !options.resetBeforeGreeting(error)) throw error;
      const waitMs = backoffDelay(retry, { baseMs, maxMs, retries }, random);
      options.logger.info(
        { retry: retry + 1, waitMs },
        'The server reset the connection before its greeting; connecting again',
      );
      options.telemetry?.mailReconnect(options.protocol ?? 'unknown', 'reset');
      await abortableSleep(waitMs, options.signal);
    }
  }
}
