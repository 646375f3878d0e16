/**
 * One cached `tls.SecureContext` per (extra CAs, TLS floor), shared by the protocol packages.
 * Building a context from Node's ~150 root certificates costs tens of milliseconds of CPU; a
 * reconnecting watcher, a POP3 client or an SMTP pool would otherwise pay it on every connection.
 */
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import type { ProtocolSettings } from '../config/types.js';

/** Options of {@link trustedSecureContext}. */
export interface TrustedSecureContextOptions {
  /**
   * Extra trusted CA certificates (PEM), e.g. a company's inspection CA (`kalisto.tls.ca`). They are
   * trusted besides Node's root certificates, never instead of them. Absent: Node's roots alone.
   */
  readonly ca?: string | readonly string[] | undefined;
  /** The oldest TLS version the context accepts (`mail.<p>.ssl.protocols`). */
  readonly minVersion: ProtocolSettings['minTlsVersion'];
}

/** How many distinct contexts are kept; the least recently used one is dropped beyond this. */
export const TRUSTED_SECURE_CONTEXT_LIMIT = 16;

const contexts = new Map<string, SecureContext>();

/**
 * A TLS context trusting Node's root certificates plus `ca`, refusing versions below `minVersion`,
 * built once per distinct pair and reused (at most {@link TRUSTED_SECURE_CONTEXT_LIMIT} are kept).
 * Pass it as `secureContext` to `tls.connect` (or to a library's TLS options). It only decides what is
 * trusted: certificate verification stays on (`rejectUnauthorized` is the connection's, default
 * true), and the server name check (`servername`, `checkServerIdentity`) is still the connection's.
 */
export function trustedSecureContext(options: TrustedSecureContextOptions): SecureContext {
  const extra =
    options.ca === undefined ? [] : typeof options.ca === 'string' ? [options.ca] : [...options.ca];
  const key = [options.minVersion, ...extra].join('\0');
  const cached = contexts.get(key);
  if (cached !== undefined) {
    // Re-inserting keeps the map in least-recently-used order.
    contexts.delete(key);
    contexts.set(key, cached);
    return cached;
  }
  const context = createSecureContext({
    minVersion: options.minVersion,
    // `ca` replaces Node's trust store, so the built-in roots are passed along.
    ...(extra.length === 0 ? {} : { ca: [...rootCertificates, ...extra] }),
  });
  if (contexts.size >= TRUSTED_SECURE_CONTEXT_LIMIT) {
    const oldest = contexts.keys().next().value;
    if (oldest !== undefined) contexts.delete(oldest);
  }
  contexts.set(key, context);
  return context;
}
