/** The listener's TLS: one secure context per listener, and the upgrade of an accepted socket. */
import type { Socket } from 'node:net';
import { createSecureContext, type SecureContext, TLSSocket } from 'node:tls';
import { ConfigError } from '@kalisto/core';
import type { ResolvedProxyOptions } from './options.js';

/** TLS 1.0/1.1 need OpenSSL's security level 0: a floor lowered for legacy devices must also work. */
const LEGACY_CIPHERS = 'DEFAULT@SECLEVEL=0';

/**
 * The secure context of a listener (undefined for `tls.mode: 'none'`); a certificate or key that
 * OpenSSL cannot use is a `ConfigError` naming `tls.cert`/`tls.key`, never a crash on the first client.
 */
export function listenerSecureContext(
  label: string,
  tls: ResolvedProxyOptions['tls'],
): SecureContext | undefined {
  if (tls.mode === 'none') return undefined;
  const legacy = tls.minVersion === 'TLSv1' || tls.minVersion === 'TLSv1.1';
  try {
    return createSecureContext({
      cert: tls.cert,
      key: tls.key,
      minVersion: tls.minVersion,
      ...(legacy ? { ciphers: LEGACY_CIPHERS } : {}),
    });
  } catch (error) {
    // OpenSSL's reason (e.g. "key values mismatch") names no secret; the PEM itself is never shown.
    const reason = error instanceof Error ? error.message : 'unreadable';
    throw new ConfigError(
      [
        {
          property: `${label}.tls.cert`,
          expected: `a PEM certificate chain whose key is ${label}.tls.key (OpenSSL: ${reason})`,
        },
      ],
      { cause: error },
    );
  }
}

/** Starts TLS as the server over an accepted socket (implicit TLS, or after STARTTLS/STLS). */
export function upgradeToTls(socket: Socket, secureContext: SecureContext): TLSSocket {
  return new TLSSocket(socket, { isServer: true, secureContext });
}
