/**
 * The IMAP and POP3 listeners of a relay configuration, on ./proxy's createImapProxy and
 * createPop3Proxy: the relay's credential check and lockout (shared with the SMTP listeners), the
 * mailbox sessions, the listener's TLS.
 */
import type { KalistoSession, Logger } from '@kalisto/core';
import type { Authenticator } from './authenticator.js';
import type { RelayMetrics } from './metrics.js';
import { createImapProxy, createPop3Proxy } from './proxy/index.js';
import type { ListenerConfig, RelayConfig } from './relay-config.js';
import type { RunningListener } from './smtp-listener.js';

export interface ProxyListenerOptions {
  listener: ListenerConfig;
  tls: RelayConfig['tls'];
  /** The session protocol used upstream (imap/imaps, pop3/pop3s). */
  upstream: string;
  authenticator: Authenticator;
  sessionFor(mailbox: string): KalistoSession;
  metrics: RelayMetrics;
  logger: Logger;
}

export async function startProxyListener(options: ProxyListenerOptions): Promise<RunningListener> {
  const { listener, authenticator, metrics } = options;
  const logger = options.logger.child?.({ listener: listener.name }) ?? options.logger;
  const labels = { listener: listener.name };
  const create = listener.protocol === 'imap' ? createImapProxy : createPop3Proxy;
  const proxy = create({
    host: listener.host,
    port: listener.port,
    tls: {
      mode: listener.tls.mode,
      minVersion: listener.tls.minVersion,
      ...(options.tls && { cert: options.tls.cert, key: options.tls.key.reveal() }),
    },
    upstream: options.upstream,
    maxConnections: listener.maxConnections,
    idleTimeoutMs: listener.timeoutMs,
    logger,
    sessionFor: options.sessionFor,
    async authenticate(user, password, remoteAddress) {
      const result = await authenticator.authenticate(user, password, remoteAddress);
      if (result.ok) {
        metrics.logins.inc({ ...labels, outcome: 'ok' });
        logger.info({ user: result.user, mailbox: result.mailbox, remoteAddress }, 'Relay login');
        return { mailbox: result.mailbox };
      }
      const outcome = result.reason === 'locked' ? 'locked' : 'failed';
      metrics.logins.inc({ ...labels, outcome });
      logger.warn(
        { ...(result.knownUser ? { user } : { unknownUser: true }), remoteAddress, outcome },
        'Relay login refused',
      );
      return undefined;
    },
  });
  const address = await proxy.listen();
  logger.info(
    { host: listener.host, port: address.port, tls: listener.tls.mode },
    `${listener.protocol.toUpperCase()} listener started`,
  );
  let closing: Promise<void> | undefined;
  const close = (graceMs = 0) => {
    closing ??= proxy.close({ timeoutMs: graceMs });
    return closing;
  };
  return {
    name: listener.name,
    protocol: listener.protocol,
    host: listener.host,
    port: address.port,
    connections: () => proxy.connections(),
    stopAccepting: (graceMs) => void close(graceMs),
    close: () => close(),
  };
}
