import type { ProtocolSettings } from '../config/types.js';
import type { Logger } from '../logging/logger.js';
import type { KalistoSession } from '../session/types.js';
import type { KalistoTelemetry } from '../telemetry/kalisto-telemetry.js';

export type ProtocolType = 'store' | 'transport';

/**
 * Maps protocol names to the client type their provider returns. Protocol packages augment it:
 *
 * ```ts
 * declare module '@kalisto/core' {
 *   interface ProtocolClients { imaps: ImapFlow }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: augmented by protocol packages
export interface ProtocolClients {}

/**
 * Maps protocol names to the client their **store** provider returns, for a name that has a store
 * and a transport (`graph`); it wins over {@link ProtocolClients} in `session.store(name)`:
 *
 * ```ts
 * declare module '@kalisto/core' {
 *   interface StoreClients { graph: GraphMailbox }
 *   interface TransportClients { graph: GraphTransporter }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: augmented by protocol packages
export interface StoreClients {}

/** Maps protocol names to the client their **transport** provider returns; see {@link StoreClients}. */
// biome-ignore lint/suspicious/noEmptyInterface: augmented by protocol packages
export interface TransportClients {}

export type ProtocolName =
  | keyof ProtocolClients
  | keyof StoreClients
  | keyof TransportClients
  | (string & {});
export type ProtocolClient<P extends string> = P extends keyof ProtocolClients ? ProtocolClients[P] : unknown;
/** What `session.store(P)` resolves to: {@link StoreClients}, else {@link ProtocolClients}. */
export type StoreClient<P extends string> = P extends keyof StoreClients
  ? StoreClients[P]
  : ProtocolClient<P>;
/** What `session.transport(P)` resolves to: {@link TransportClients}, else {@link ProtocolClients}. */
export type TransportClient<P extends string> = P extends keyof TransportClients
  ? TransportClients[P]
  : ProtocolClient<P>;

export interface ProtocolContext {
  session: KalistoSession;
  /** The resolved `mail.<protocol>.*` settings for this protocol. */
  settings: ProtocolSettings;
  logger: Logger;
  /**
   * The session's metrics and spans (command durations, TLS and SASL spans, watch renewals). Always
   * set by a session; absent when the context was built by hand — `telemetryOf(context)` covers both.
   */
  telemetry?: KalistoTelemetry | undefined;
  signal?: AbortSignal;
}

/** One row of the WebSphere protocol-provider table. */
export interface ProtocolProvider<TClient = unknown> {
  /** `imap`, `imaps`, `pop3`, `pop3s`, `smtp`, `smtps`, `graph` or a custom name. */
  readonly protocol: string;
  /** A name may have one provider of each type (`graph` is a store and a transport). */
  readonly type: ProtocolType;
  /** Java class names from old configs that resolve to this provider. */
  readonly javaClasses?: readonly string[];
  /** Opens an authenticated client. */
  create(context: ProtocolContext): Promise<TClient>;
  /** Closes a client this provider created (called by `session.close()`). */
  close?(client: TClient): Promise<void>;
  /**
   * Calls `forget` once the client has closed by itself (server BYE, network loss, logout), so the
   * session stops holding it: a long-running app that reconnects does not pile up dead clients.
   */
  onClosed?(client: TClient, forget: () => void): void;
}
