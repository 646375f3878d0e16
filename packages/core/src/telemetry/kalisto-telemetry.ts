import type { SpanName } from './instruments.js';
import type { TelemetryAttributes, TelemetryAttributeValue } from './types.js';

export type TelemetryOutcome = 'success' | 'failure';
/**
 * Where the token manager found a token: its memory, the shared cache (also when another process put
 * it there while holding the lock), another caller's request in this process (`flight`), or the token provider.
 */
export type TokenSource = 'memory' | 'cache' | 'flight' | 'provider';
/** `lock`: taking the cross-process lock; `unlock`: releasing it. */
export type CacheOperation = 'get' | 'set' | 'delete' | 'lock' | 'unlock';
/** `busy`: a lock another process holds. */
export type CacheResult = 'hit' | 'miss' | 'ok' | 'busy' | 'error';
export type CredentialKind = 'certificate' | 'client_secret' | 'refresh_token';

/** One credential's expiry, as `observeCredentialExpiry` reads it at each collection. */
export interface CredentialExpiryReading {
  kind: CredentialKind;
  /** The token provider's name (`msal`, `oauth2`). */
  provider: string;
  /** Seconds until it expires; negative once it has. */
  secondsLeft: number;
}

/** A span Kalisto started; its attributes pass the same secret guard as the metrics'. */
export interface KalistoSpan {
  /** Sets an attribute unless it looks like a secret or a token (then it is dropped). */
  setAttribute(key: string, value: TelemetryAttributeValue | undefined): void;
  /** Marks the span failed: status error, `error.type` (the Kalisto code) and `kalisto.aadsts` when known. No message. */
  fail(error: unknown): void;
  end(): void;
}

/**
 * Kalisto's metrics and spans (docs/observability.md), recorded through OpenTelemetry when an SDK is
 * there and through no-ops that build nothing when it is not. Plugins reach it as `context.telemetry`
 * and `session.telemetry`. Every attribute passes one guard: a value that looks like a token or a
 * secret, or a key naming one, is dropped. Never pass a mailbox address (PII, and unbounded cardinality).
 */
export interface KalistoTelemetry {
  /** Whether anything is recorded: false without an SDK (check it before building costly attributes). */
  readonly enabled: boolean;
  /** One request to the token provider took `seconds`; `error` when it failed. */
  tokenRequest(provider: string, flow: string, seconds: number, error?: unknown): void;
  /** The token manager handed out a token from `source`. */
  tokenAcquisition(provider: string, source: TokenSource): void;
  /** A wait for another process's token under the cache lock: `success` when its token came. */
  tokenLockWait(seconds: number, outcome: TelemetryOutcome): void;
  cacheOperation(backend: string, operation: CacheOperation, result: CacheResult): void;
  /** A mail client opened (connected and authenticated), or failed to; `error` classified by its code. */
  mailLogin(protocol: string, serverAddress: string | undefined, seconds: number, error?: unknown): void;
  /** Mail clients open now: +1 when one opens, −1 when it closes. */
  mailConnections(protocol: string, delta: number): void;
  /** One protocol command (`SELECT`, `FETCH`, `RETR`, `DATA`, a Graph call) took `seconds`. */
  mailCommand(protocol: string, command: string, seconds: number, error?: unknown): void;
  /** A connect or login repeated: `reset` (before the greeting), `token` (refused, renewed), `watch`. */
  mailReconnect(protocol: string, reason: string): void;
  /** A watch renewed (IDLE restarted, Graph subscription renewed). */
  watchRenewal(protocol: string, error?: unknown): void;
  /** Reports credential expiries at every metric collection until the returned function is called. */
  observeCredentialExpiry(read: () => readonly CredentialExpiryReading[]): () => void;
  /** Starts a span, a child of the Kalisto span in progress (see `withSpan`). End it yourself. */
  startSpan(name: SpanName, attributes?: TelemetryAttributes): KalistoSpan;
  /** Runs `run` inside a span (the parent of spans started meanwhile); failed if it throws; ended after. */
  withSpan<T>(
    name: SpanName,
    attributes: TelemetryAttributes | undefined,
    run: (span: KalistoSpan) => Promise<T>,
  ): Promise<T>;
}

const NOOP_SPAN: KalistoSpan = Object.freeze({ setAttribute() {}, fail() {}, end() {} });
const nothing = () => {};

/** The recorder that records nothing (no SDK, `telemetry: false`, or a context built by hand). */
export const noopTelemetry: KalistoTelemetry = Object.freeze<KalistoTelemetry>({
  enabled: false,
  tokenRequest: nothing,
  tokenAcquisition: nothing,
  tokenLockWait: nothing,
  cacheOperation: nothing,
  mailLogin: nothing,
  mailConnections: nothing,
  mailCommand: nothing,
  mailReconnect: nothing,
  watchRenewal: nothing,
  observeCredentialExpiry: () => nothing,
  startSpan: () => NOOP_SPAN,
  withSpan: (_name, _attributes, run) => run(NOOP_SPAN),
});
