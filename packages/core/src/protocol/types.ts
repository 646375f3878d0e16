import type { ProtocolSettings } from '../config/types.js';
import type { Logger } from '../logging/logger.js';
import type { KalistoSession } from '../session/types.js';

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

export type ProtocolName = keyof ProtocolClients | (string & {});
export type ProtocolClient<P extends string> = P extends keyof ProtocolClients ? ProtocolClients[P] : unknown;

export interface ProtocolContext {
  session: KalistoSession;
  /** The resolved `mail.<protocol>.*` settings for this protocol. */
  settings: ProtocolSettings;
  logger: Logger;
  signal?: AbortSignal;
}

/** One row of the WebSphere protocol-provider table. */
export interface ProtocolProvider<TClient = unknown> {
  /** `imap`, `imaps`, `pop3`, `pop3s`, `smtp`, `smtps` or a custom name. */
  readonly protocol: string;
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
