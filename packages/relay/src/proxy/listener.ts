/**
 * A listener: accepts clients up to `maxConnections`, runs one connection object per client, and
 * closes gracefully — no new clients, clients still logging in told BYE, logged-in sessions given
 * `timeoutMs` to end by themselves before they are cut.
 */
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { ClientConnection, ListenerContext } from './client-connection.js';
import { type MailProxyOptions, PROXY_DEFAULTS, type ProxyKind, resolveProxyOptions } from './options.js';
import { listenerSecureContext } from './server-tls.js';

/** A running (or not yet started) IMAP or POP3 listener. */
export interface MailProxy {
  /** Starts listening; resolves with the address (the port chosen when `port` was 0). */
  listen(): Promise<AddressInfo>;
  /**
   * Stops accepting, ends clients that have not logged in, and waits up to `timeoutMs` (default
   * 10000) for logged-in sessions to end before cutting them. Idempotent.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
  /** Client connections open now (before and after login). */
  connections(): number;
}

/** What a full listener tells one client too many before hanging up (clear text only). */
const TOO_MANY: Record<ProxyKind, string> = {
  imap: '* BYE Too many connections; try again later.\r\n',
  pop3: '-ERR [SYS/TEMP] Too many connections; try again later.\r\n',
};

/** Builds a listener of `kind`; `connect` makes the connection object of each accepted client. */
export function createListener(
  kind: ProxyKind,
  options: MailProxyOptions,
  connect: (socket: Socket, context: ListenerContext) => ClientConnection,
): MailProxy {
  const resolved = resolveProxyOptions(kind, options);
  const secureContext = listenerSecureContext(`${kind}Proxy`, resolved.tls);
  const logger = resolved.logger;
  const open = new Set<ClientConnection>();
  let server: Server | undefined;
  let closing: Promise<void> | undefined;
  let drained: (() => void) | undefined;

  const context: ListenerContext = {
    kind,
    options: resolved,
    secureContext,
    onClosed(connection) {
      open.delete(connection);
      if (open.size === 0) drained?.();
    },
  };

  const accept = (socket: Socket): void => {
    if (closing !== undefined) {
      socket.destroy();
      return;
    }
    if (open.size >= resolved.maxConnections) {
      logger.warn(
        { listener: kind, remoteAddress: socket.remoteAddress, maxConnections: resolved.maxConnections },
        'Relay listener full: connection refused',
      );
      socket.on('error', () => {});
      if (resolved.tls.mode === 'implicit') socket.destroy();
      else socket.end(TOO_MANY[kind]);
      return;
    }
    const connection = connect(socket, context);
    open.add(connection);
    connection.start();
  };

  const shutdown = async (timeoutMs: number): Promise<void> => {
    const stopped = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    const gone =
      open.size === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            drained = resolve;
          });
    for (const connection of open) if (!connection.proxying) connection.hangUp('shutdown');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([gone, late]);
    clearTimeout(timer);
    // Sessions still open after the grace period are cut; their close events follow at once.
    for (const connection of open) connection.destroy();
    await gone;
    await stopped;
  };

  return {
    listen() {
      if (server !== undefined)
        return Promise.reject(new Error(`[relay:${kind}] listen() was already called.`));
      const listening = createServer(accept);
      server = listening;
      return new Promise((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(resolved.port, resolved.host, () => {
          listening.off('error', reject);
          listening.on('error', (error) =>
            logger.error({ listener: kind, error: error.message }, 'Relay listener error'),
          );
          resolve(listening.address() as AddressInfo);
        });
      });
    },
    close(closeOptions = {}) {
      closing ??= shutdown(closeOptions.timeoutMs ?? PROXY_DEFAULTS.closeTimeoutMs);
      return closing;
    },
    connections: () => open.size,
  };
}
