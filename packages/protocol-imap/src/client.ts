/**
 * ImapFlow with Kalisto's login policy: the configured SASL mechanism wins over ImapFlow's own
 * preference, a token never goes over an unencrypted connection unless the configuration allows it,
 * and what the server sends is bounded (response-guard.ts). It is an ImapFlow: every method and event
 * of ImapFlow's API is unchanged.
 */
import type { KalistoSpan, KalistoTelemetry } from '@kalisto/core';
import type { SaslMechanism } from '@kalisto/core/plugin';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { mechanismUnavailableError, tlsRequiredError } from './errors.js';
import { bindResponseGuard, type GuardedConnection } from './guarded-connection.js';
import { IMAP_DEFAULTS, responseLimits } from './options.js';
import type { ResponseLimits } from './response-guard.js';
import { TIMED_COMMANDS, timeCommand, traceImplicitTls } from './telemetry.js';

/** What {@link OAuthImapFlow} enforces at login. */
export interface LoginPolicy {
  /** OAuth2 mechanisms allowed, in order of preference (`mail.<p>.sasl.mechanisms`). */
  mechanisms: readonly SaslMechanism[];
  /** `kalisto.auth.allowInsecure`: allow the token over a connection without TLS. */
  allowInsecureAuth: boolean;
  /** `imap` or `imaps`, for error messages and telemetry. */
  protocol: string;
  /**
   * Where command durations and the TLS and SASL spans go (`context.telemetry`); nothing is recorded
   * without it or when it is disabled.
   */
  telemetry?: KalistoTelemetry | undefined;
}

/** The capability names under which servers advertise each mechanism. */
const ADVERTISED: Readonly<Record<SaslMechanism, readonly string[]>> = {
  XOAUTH2: ['AUTH=XOAUTH2', 'AUTH=XOAUTH'],
  OAUTHBEARER: ['AUTH=OAUTHBEARER'],
};

/**
 * Removes from `capabilities` every OAuth2 mechanism but the first one `allowed` lists that the server
 * advertises, and returns it; undefined when the server offers none of them. ImapFlow picks
 * OAUTHBEARER whenever it is advertised and has no option to choose (its `loginMethod` only applies to
 * passwords), so narrowing what it sees is the one way to make it use XOAUTH2.
 */
export function narrowMechanisms(
  capabilities: Map<string, unknown>,
  allowed: readonly SaslMechanism[],
): SaslMechanism | undefined {
  const chosen = allowed.find((m) => ADVERTISED[m].some((name) => capabilities.has(name)));
  if (chosen === undefined) return undefined;
  for (const [mechanism, names] of Object.entries(ADVERTISED)) {
    if (mechanism !== chosen) for (const name of names) capabilities.delete(name);
  }
  return chosen;
}

/** The SASL mechanisms a capability map advertises (for error messages). */
export function advertisedMechanisms(capabilities: Map<string, unknown>): string[] {
  return [...capabilities.keys()].filter((c) => c.startsWith('AUTH=')).map((c) => c.slice(5));
}

// ImapFlow's login step; internal in its typings, but a stable method of the class since 1.0.
const imapflowAuthenticate = (ImapFlow.prototype as unknown as { authenticate(): Promise<boolean> })
  .authenticate;
// Where ImapFlow 2 stamps its connection errors (internal too; checked by client.test.ts).
const imapflowCreateConnectionError = (
  ImapFlow.prototype as unknown as {
    createConnectionError(code: string, message: string, meta?: object): Error;
  }
).createConnectionError;

// ImapFlow's command dispatcher (internal too): every command of its API goes through it once.
const imapflowRun = (
  ImapFlow.prototype as unknown as { run(command: string, ...args: unknown[]): Promise<unknown> }
).run;

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * The server ended the connection (FIN or reset), as opposed to this side closing it (an inactivity
 * timeout, `close()`, an error).
 */
function serverHungUp(socket: unknown): boolean {
  if (typeof socket !== 'object' || socket === null) return false;
  const { readableEnded, errored } = socket as {
    readableEnded?: unknown;
    errored?: { code?: unknown } | null;
  };
  return readableEnded === true || RESET_CODES.has(String(errored?.code));
}

/**
 * An ImapFlow that authenticates with the configured mechanism, and only over TLS, and holds no more
 * of a server's responses than `limits` allow (defaults: `IMAP_DEFAULTS`).
 */
export class OAuthImapFlow extends ImapFlow {
  readonly #policy: LoginPolicy;
  readonly #guard: GuardedConnection;
  /** The STARTTLS handshake's span, between the server's OK and the upgraded socket. */
  #startTlsSpan: KalistoSpan | undefined;
  /**
   * When the token this client logged in with expires (epoch ms): the `imap`/`imaps` providers set it
   * once logged in. Exchange ends the session then (`* BYE Session invalidated - AccessTokenExpired`).
   */
  tokenExpiresAt: number | undefined;

  constructor(
    options: ImapFlowOptions,
    policy: LoginPolicy,
    limits: ResponseLimits = responseLimits(IMAP_DEFAULTS),
  ) {
    super(options);
    this.#policy = policy;
    this.#guard = bindResponseGuard(
      this,
      { protocol: policy.protocol, host: this.host, port: this.port },
      limits,
    );
  }

  /** Connects and logs in; a PREAUTH greeting counts as logged in. */
  override async connect(): Promise<void> {
    const connecting = super.connect();
    // Without a proxy, ImapFlow has created its socket by now (synchronously, before its first await).
    const { telemetry, protocol } = this.#policy;
    const socket = (this as unknown as { socket?: NodeJS.EventEmitter }).socket;
    if (telemetry?.enabled && this.secureConnection && typeof socket?.once === 'function') {
      traceImplicitTls(telemetry, socket, { 'kalisto.protocol': protocol, 'server.address': this.host });
    }
    await connecting;
    this.#guard.authenticated();
  }

  /** STARTTLS, with its handshake (after the server's OK) in a `kalisto.mail.tls` span. */
  override async upgradeToSTARTTLS(): Promise<boolean> {
    try {
      return await super.upgradeToSTARTTLS();
    } catch (error) {
      this.#startTlsSpan?.fail(error);
      throw error;
    } finally {
      this.#startTlsSpan?.end();
      this.#startTlsSpan = undefined;
    }
  }

  /** @internal ImapFlow's dispatcher: the commands of {@link TIMED_COMMANDS} are timed. */
  async run(command: string, ...args: unknown[]): Promise<unknown> {
    const { telemetry, protocol } = this.#policy;
    if (!telemetry?.enabled) return imapflowRun.call(this, command, ...args);
    const name = command.toUpperCase();
    if (name === 'STARTTLS') {
      const accepted = await imapflowRun.call(this, command, ...args);
      if (accepted) {
        const attributes = { 'kalisto.protocol': protocol, 'server.address': this.host };
        this.#startTlsSpan = telemetry.startSpan('kalisto.mail.tls', attributes);
      }
      return accepted;
    }
    if (!TIMED_COMMANDS.has(name)) return imapflowRun.call(this, command, ...args);
    return timeCommand(telemetry, protocol, name, () => imapflowRun.call(this, command, ...args));
  }

  /**
   * @internal ImapFlow stamps every "connection gone" error here. A command in flight when the server
   * sent too much, or closed the connection without a BYE, fails with a Kalisto `ConnectionError`
   * instead of ImapFlow's bare `Connection not available`.
   */
  createConnectionError(
    code: string,
    message: string,
    meta?: { rejectedFrom?: string; command?: string },
  ): Error {
    const error = imapflowCreateConnectionError.call(this, code, message, meta);
    return this.#guard.explain(error, meta, {
      serverClosed: serverHungUp((this as unknown as { socket?: unknown }).socket),
      byeReason: this.byeReason,
      closedByClient: this.closedByClient,
    });
  }

  /** @internal Called by ImapFlow's `connect()` between STARTTLS and NAMESPACE. */
  async authenticate(): Promise<boolean> {
    const { protocol, mechanisms, allowInsecureAuth } = this.#policy;
    const endpoint = { protocol, host: this.host, port: this.port };
    if (!this.secureConnection && !allowInsecureAuth) throw tlsRequiredError(endpoint);
    const offered = advertisedMechanisms(this.capabilities);
    const chosen = narrowMechanisms(this.capabilities, mechanisms);
    if (chosen === undefined) {
      throw mechanismUnavailableError(endpoint, mechanisms, offered);
    }
    const authenticate = async () => {
      const authenticated = await imapflowAuthenticate.call(this);
      if (authenticated) this.#guard.authenticated();
      return authenticated;
    };
    const { telemetry } = this.#policy;
    if (!telemetry?.enabled) return authenticate();
    return telemetry.withSpan(
      'kalisto.mail.sasl',
      { 'kalisto.protocol': protocol, 'kalisto.sasl.mechanism': chosen },
      authenticate,
    );
  }
}

/**
 * When the token a client logged in with expires (epoch ms); undefined for a client the `imap`/`imaps`
 * providers did not open.
 */
export function tokenExpiryOf(client: ImapFlow): number | undefined {
  return client instanceof OAuthImapFlow ? client.tokenExpiresAt : undefined;
}

/** LOGOUT when the connection is still up; a dead one only needs its socket closed. Never throws. */
export async function logoutOrClose(client: ImapFlow): Promise<void> {
  if (client.usable) {
    try {
      await client.logout();
      return;
    } catch {
      // The server went away meanwhile: closing the socket below is all that is left to do.
    }
  }
  client.close();
}
