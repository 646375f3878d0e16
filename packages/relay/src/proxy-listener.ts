/**
 * The IMAP and POP3 listeners of a relay configuration, on ./proxy's createImapProxy and
 * createPop3Proxy: the relay's credential check and lockout, the mailbox sessions, the listener's TLS.
 */
import { KalistoError, type KalistoSession, type Logger } from '@kalisto/core';
import type { Authenticator } from './authenticator.js';
import type { RelayMetrics } from './metrics.js';
import type { ListenerConfig, RelayConfig } from './relay-config.js';
import type { RunningListener } from './smtp-listener.js';

export interface ProxyListenerOptions {
  listener: ListenerConfig;
  tls: RelayConfig['tls'];
  upstream: string;
  authenticator: Authenticator;
  sessionFor(mailbox: string): KalistoSession;
  metrics: RelayMetrics;
  logger: Logger;
}

export async function startProxyListener(options: ProxyListenerOptions): Promise<RunningListener> {
  throw new KalistoError(`The ${options.listener.protocol} listener is not available yet.`, {
    code: 'RELAY_LISTENER_UNAVAILABLE',
  });
}
