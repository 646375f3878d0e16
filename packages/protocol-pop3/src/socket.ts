/** Opening the byte stream: TCP, implicit TLS, the STLS upgrade, and TLS options that never skip verification. */
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { type ConnectionOptions, connect as connectTls, type TLSSocket } from 'node:tls';
import { isKalistoError } from '@kalisto/core';
import { trustedSecureContext } from '@kalisto/core/plugin';
import { closedError, connectError, type Pop3Endpoint, tlsError } from './errors.js';
import type { ResolvedPop3Options } from './options.js';
import type { ProxyTarget } from './proxy.js';

/**
 * TLS options: a shared context trusting the built-in roots plus the extra CAs at the minimum
 * version (built once, not per connection), SNI and the name check.
 */
export function tlsConnectionOptions(options: ResolvedPop3Options): ConnectionOptions {
  const servername = options.servername ?? (isIP(options.host) === 0 ? options.host : undefined);
  return {
    host: options.host,
    ...(servername === undefined ? {} : { servername }),
    secureContext: trustedSecureContext({ ca: options.ca, minVersion: options.minTlsVersion }),
    rejectUnauthorized: true,
    ...(options.checkServerIdentity ? {} : { checkServerIdentity: () => undefined }),
  };
}

/**
 * Starts TCP (and TLS with `secure`) to the server, or TCP to the `proxy` (the tunnel and TLS come
 * later); see `whenReady`. The caller bounds the time by destroying the socket.
 */
export function openSocket(options: ResolvedPop3Options, proxy?: ProxyTarget): Socket {
  if (proxy) return connectTcp({ host: proxy.host, port: proxy.port });
  return options.secure
    ? connectTls({ ...tlsConnectionOptions(options), port: options.port })
    : connectTcp({ host: options.host, port: options.port });
}

/** Starts TLS over a connected plain socket (after STLS's `+OK`). */
export function startTls(plain: Socket, options: ResolvedPop3Options): TLSSocket {
  return connectTls({ ...tlsConnectionOptions(options), socket: plain });
}

/**
 * Resolves once the socket is ready (`connect`, or `secureConnect` for TLS). A failure before TCP
 * connected is a connect error, after it a TLS error; an error the caller destroyed the socket with
 * (a Kalisto error: timeout, abort) passes through. `onTcpConnected` is called when TCP is up (the
 * TLS handshake starts).
 */
export function whenReady(
  socket: Socket,
  endpoint: Pop3Endpoint,
  tls: boolean,
  onTcpConnected?: () => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let tcpConnected = !socket.connecting;
    const onConnect = () => {
      tcpConnected = true;
      onTcpConnected?.();
      if (!tls) finish();
    };
    const onSecure = () => finish();
    const onError = (error: Error) => {
      if (isKalistoError(error) || error.name === 'AbortError') finish(error);
      else if (tls && tcpConnected) finish(tlsError(endpoint, error));
      else finish(connectError(endpoint, error));
    };
    const onClose = () => finish(closedError(endpoint));
    const finish = (error?: Error) => {
      socket.off('connect', onConnect);
      socket.off('secureConnect', onSecure);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    socket.on('connect', onConnect);
    socket.on('secureConnect', onSecure);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}
