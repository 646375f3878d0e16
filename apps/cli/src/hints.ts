/**
 * Fixes that name the setting to change, shared by `doctor` and the other commands: the same
 * symptom gets the same words wherever it shows.
 */
import { ConnectionError, isKalistoError } from '@kalisto/core';

/** The implicit-TLS and STARTTLS ports of Exchange Online, by protocol family. */
const PORTS = {
  imap: { implicit: 993, starttls: 143 },
  pop3: { implicit: 995, starttls: 110 },
  smtp: { implicit: 465, starttls: 587 },
} as const;

const familyOf = (protocol: string): keyof typeof PORTS | undefined =>
  (['imap', 'pop3', 'smtp'] as const).find((family) => protocol.replace(/s$/, '') === family);

/**
 * A TLS handshake answered in plain text ("wrong version number"): `mail.<protocol>.ssl.enable` is
 * on for a plain or STARTTLS port.
 */
export function plainPortHint(protocol: string): string {
  const ports = PORTS[familyOf(protocol) ?? 'imap'];
  const family = familyOf(protocol)?.toUpperCase() ?? 'the protocol';
  return `The port answered in plain text, so it is not an implicit-TLS port: for a STARTTLS port (${family} ${ports.starttls}) set mail.${protocol}.ssl.enable=false and mail.${protocol}.starttls.enable=true; for implicit TLS set mail.${protocol}.port to the TLS port (${family} ${ports.implicit}).`;
}

/** What the identity platform's endpoint is set by, for fixes. */
export const IDENTITY_SETTINGS = 'o365.oauth.authority (or o365.oauth.url, from which it is derived)';

/** The identity platform answered a TLS handshake in plain text: the URL names an http port. */
export const IDENTITY_PLAIN_PORT_HINT = `The identity platform's port answered in plain text: ${IDENTITY_SETTINGS} must be an https URL of its TLS port (Microsoft: 443).`;

/** Node's and OpenSSL's sign of a TLS handshake that met plain text. */
export function isPlainTextReply(error: unknown): boolean {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 6; depth += 1) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') return true;
    if (typeof message === 'string' && /wrong version number/i.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * An error reworded for the command line when the library's wording points the wrong way: a TLS
 * failure that is a plain port reached with implicit TLS says which `mail.<protocol>.*` to set
 * (the code stays the library's). Anything else is returned as it is.
 */
export function withCliHint(error: unknown): unknown {
  if (!isKalistoError(error) || error.name !== 'ConnectionError' || !isPlainTextReply(error)) return error;
  const { protocol, host, port } = error as ConnectionError;
  if (protocol === undefined) return error;
  const where = host === undefined ? '' : ` ${host}:${port ?? ''}`;
  const hint = plainPortHint(protocol);
  return new ConnectionError(
    `[${protocol}]${where} answered a TLS handshake in plain text (wrong version number). ${hint}`,
    {
      code: error.code,
      protocol,
      ...(host === undefined ? {} : { host }),
      ...(port === undefined ? {} : { port }),
      hint,
      cause: error,
    },
  );
}
