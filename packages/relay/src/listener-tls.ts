/**
 * TLS towards the clients: the relay's certificate with each listener's floor, and an implicit-TLS
 * acceptor that does the handshake itself and hands finished TLS sockets over — unfinished
 * handshakes can then be ended from the top on shutdown (tearing a TLS wrap down from below
 * mid-handshake is unsafe in Node; smtp-server's own implicit-TLS path is avoided for that reason).
 */
import { createServer, type Server } from 'node:net';
import { createSecureContext, type SecureContext, type SecureContextOptions, TLSSocket } from 'node:tls';
import { ConfigError } from '@kalisto/core';
import type { ListenerConfig, RelayConfig } from './relay-config.js';

/** TLS 1.0/1.1 need OpenSSL's security level 0: a floor lowered for a legacy device must also work. */
const LEGACY_CIPHERS = 'DEFAULT@SECLEVEL=0';

/** The context options of `listener` (undefined for `tls=none`). */
export function listenerTlsOptions(
  listener: ListenerConfig,
  tls: RelayConfig['tls'],
): (SecureContextOptions & { key: string; cert: string }) | undefined {
  if (listener.tls.mode === 'none' || tls === undefined) return undefined;
  const legacy = listener.tls.minVersion === 'TLSv1' || listener.tls.minVersion === 'TLSv1.1';
  return {
    cert: tls.cert,
    key: tls.key.reveal(),
    minVersion: listener.tls.minVersion,
    ...(legacy ? { ciphers: LEGACY_CIPHERS } : {}),
  };
}

/** The secure context of `listener`; a certificate OpenSSL cannot use is a ConfigError naming it. */
export function listenerSecureContext(
  listener: ListenerConfig,
  tls: RelayConfig['tls'],
): SecureContext | undefined {
  const options = listenerTlsOptions(listener, tls);
  if (options === undefined) return undefined;
  try {
    return createSecureContext(options);
  } catch (error) {
    // OpenSSL's reason (e.g. "key values mismatch") names no secret; the PEM is never shown.
    const reason = error instanceof Error ? error.message : 'unreadable';
    throw new ConfigError(
      [
        {
          property: 'kalisto.relay.tls.cert',
          expected: `a certificate whose key is kalisto.relay.tls.key (OpenSSL: ${reason})`,
        },
      ],
      { cause: error },
    );
  }
}

export interface ImplicitTlsAcceptor {
  readonly server: Server;
  /** Ends every connection whose handshake has not finished. */
  destroyPending(): void;
}

/** A TCP server wrapping each connection in a server-side TLSSocket; `onSecure` gets finished ones. */
export function implicitTlsAcceptor(
  secureContext: SecureContext,
  onSecure: (socket: TLSSocket) => void,
  handshakeTimeoutMs = 60_000,
): ImplicitTlsAcceptor {
  const pending = new Set<TLSSocket>();
  const server = createServer((raw) => {
    raw.on('error', () => undefined);
    const socket = new TLSSocket(raw, { isServer: true, secureContext });
    pending.add(socket);
    const onTimeout = () => socket.destroy();
    socket.setTimeout(handshakeTimeoutMs, onTimeout);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => pending.delete(socket));
    socket.once('secure', () => {
      pending.delete(socket);
      socket.setTimeout(0);
      socket.removeListener('timeout', onTimeout);
      onSecure(socket);
    });
  });
  return {
    server,
    destroyPending() {
      for (const socket of [...pending]) socket.destroy();
    },
  };
}
